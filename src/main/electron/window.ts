import { BrowserWindow, dialog, shell, type Session, type WebContents } from 'electron';
import type { HostHandlers } from '../server/dispatch';
import { APP_URL, isTrustedUrl, webPreferences } from './security';

/** Navigation, new windows, webviews and permission prompts are refused for every web contents. */
export function hardenContents(contents: WebContents, origins: Set<string>): void {
  contents.on('will-navigate', (event, url) => {
    if (!isTrustedUrl(url, origins)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isTrustedUrl(url, origins)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    // Documentation links open in the user's browser, never inside the app.
    if (/^https:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
}

/** No remote content: only app:// (and the dev server in development) may load; no permissions granted. */
export function hardenSession(session: Session, origins: Set<string>): void {
  session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.webRequest.onBeforeRequest((details, callback) => {
    const ok = isTrustedUrl(details.url, origins) || details.url.startsWith('devtools://') || /^(data|blob):/.test(details.url) || isDevSocket(details.url, origins);
    callback({ cancel: !ok });
  });
}

function isDevSocket(url: string, origins: Set<string>): boolean {
  // Vite's hot-reload socket, only when a dev origin is trusted.
  if (!url.startsWith('ws://')) return false;
  return isTrustedUrl(url.replace(/^ws:/, 'http:'), origins);
}

export function createMainWindow(preload: string, devServerUrl: string | undefined): BrowserWindow {
  const win = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 1280,
    minHeight: 800,
    show: false,
    title: 'LTH Lab',
    backgroundColor: '#15171a',
    autoHideMenuBar: true,
    webPreferences: webPreferences(preload),
  });
  win.once('ready-to-show', () => win.show());
  void win.loadURL(devServerUrl ?? APP_URL);
  return win;
}

/** The native folder picker behind 'host.pickFolder'. */
export function hostHandlers(getWindow: () => BrowserWindow | null): HostHandlers {
  return {
    'host.pickFolder': async ({ title }) => {
      const win = getWindow();
      const options = { title: title ?? 'Choose a folder', properties: ['openDirectory', 'createDirectory'] as ('openDirectory' | 'createDirectory')[] };
      const r = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
      return r.canceled ? null : (r.filePaths[0] ?? null);
    },
  };
}
