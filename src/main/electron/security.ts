import { contentSecurityPolicy } from '../server/static-files';

/** The app's own origin: the renderer is served by our app:// protocol handler, never file:// or http://. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'lth';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_URL = `${APP_ORIGIN}/index.html`;

/** Electron's security checklist, as window options. Asserted by test/electron. */
export function webPreferences(preload: string) {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
    // Middle-click would open links as new windows without going through setWindowOpenHandler's checks.
    disableBlinkFeatures: 'Auxclick',
  } as const;
}

/** The desktop page talks only to main over IPC, so it needs no network at all. */
export const APP_CSP = contentSecurityPolicy();

/**
 * Origins whose frames may call the API: our protocol, plus the electron-vite dev server while
 * developing (never in a packaged build).
 */
export function trustedOrigins(devServerUrl: string | undefined, packaged: boolean): Set<string> {
  const origins = new Set([APP_ORIGIN]);
  if (!packaged && devServerUrl) origins.add(new URL(devServerUrl).origin);
  return origins;
}

export function isTrustedUrl(url: string | undefined, origins: Set<string>): boolean {
  if (!url) return false;
  try {
    const u = new URL(url);
    // Non-special schemes give origin 'null'; rebuild it for app://.
    const origin = u.protocol === `${APP_SCHEME}:` ? `${APP_SCHEME}://${u.host}` : u.origin;
    return origins.has(origin);
  } catch {
    return false;
  }
}
