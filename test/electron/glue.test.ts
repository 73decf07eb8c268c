import { beforeEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

vi.mock('electron', async () => (await import('./electron-mock')).electronModule());

import { state, FakeWebContents } from './electron-mock';
import { createMainWindow, hardenContents, hardenSession, hostHandlers } from '../../src/main/electron/window';
import { registerIpc } from '../../src/main/electron/ipc';
import { registerAppProtocol, registerAppScheme, serveAppRequest } from '../../src/main/electron/protocol';
import { APP_CSP, APP_URL, isTrustedUrl, trustedOrigins } from '../../src/main/electron/security';
import { utilityProcessSpawner } from '../../src/main/electron/worker-spawner';
import { IPC_EVENT, IPC_INVOKE } from '../../src/shared/api/channels';
import { fakeServices } from '../contract/fake-services';
import type { BrowserWindow, Session, WebContents } from 'electron';

beforeEach(() => {
  state.windows.length = 0;
  state.handlers.clear();
});

describe('BrowserWindow', () => {
  it('uses the full security checklist in webPreferences and loads app://', () => {
    const win = createMainWindow('/app/out/preload/index.js', undefined) as unknown as { options: { webPreferences: Record<string, unknown>; minWidth: number }; loaded: string };
    expect(win.options.webPreferences).toEqual({
      preload: '/app/out/preload/index.js',
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
      disableBlinkFeatures: 'Auxclick',
    });
    expect(win.options.minWidth).toBe(1280);
    expect(win.loaded).toBe(APP_URL);
  });

  it('has a strict CSP: self only, no eval, no inline script, no remote connections', () => {
    const d = Object.fromEntries(APP_CSP.split(';').map((p) => p.trim().split(/\s+/)).map(([k, ...v]) => [k, v.join(' ')]));
    expect(d['default-src']).toBe("'self'");
    expect(d['script-src']).toBe("'self'");
    expect(d['connect-src']).toBe("'self'");
    expect(d['object-src']).toBe("'none'");
    expect(APP_CSP).not.toMatch(/unsafe-(eval|inline)|https?:|\*/);
  });

  it('refuses navigation away, new windows and webviews', () => {
    const origins = trustedOrigins(undefined, true);
    const wc = new FakeWebContents();
    hardenContents(wc as unknown as WebContents, origins);
    for (const event of ['will-navigate', 'will-redirect']) {
      const e = { preventDefault: vi.fn() };
      wc.emit(event, e, 'https://evil.example/');
      expect(e.preventDefault).toHaveBeenCalled();
      const own = { preventDefault: vi.fn() };
      wc.emit(event, own, 'app://lth/index.html');
      expect(own.preventDefault).not.toHaveBeenCalled();
    }
    const wv = { preventDefault: vi.fn() };
    wc.emit('will-attach-webview', wv);
    expect(wv.preventDefault).toHaveBeenCalled();
    expect(wc.windowOpenHandler?.({ url: 'https://arxiv.org/abs/1803.03635' })).toEqual({ action: 'deny' });
    expect(wc.windowOpenHandler?.({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(state.openExternal).toEqual(['https://arxiv.org/abs/1803.03635']);
  });

  it('blocks remote requests and every permission in the session', () => {
    let filter: ((d: { url: string }, cb: (r: { cancel: boolean }) => void) => void) | null = null;
    let permission: ((wc: unknown, p: string, cb: (ok: boolean) => void) => void) | null = null;
    const session = {
      setPermissionRequestHandler: (h: typeof permission) => (permission = h),
      setPermissionCheckHandler: vi.fn(),
      webRequest: { onBeforeRequest: (h: typeof filter) => (filter = h) },
    };
    hardenSession(session as unknown as Session, trustedOrigins(undefined, true));
    const verdict = (url: string) => {
      let cancel: boolean | undefined;
      filter!({ url }, (r) => (cancel = r.cancel));
      return cancel;
    };
    expect(verdict('app://lth/assets/index.js')).toBe(false);
    expect(verdict('https://fonts.googleapis.com/css')).toBe(true);
    expect(verdict('http://127.0.0.1:5173/')).toBe(true);
    expect(verdict('file:///etc/passwd')).toBe(true);
    let granted: boolean | undefined;
    permission!(null, 'media', (ok) => (granted = ok));
    expect(granted).toBe(false);
  });

  it('trusts the dev server only in an unpackaged build', () => {
    expect(isTrustedUrl('http://localhost:5173/', trustedOrigins('http://localhost:5173', false))).toBe(true);
    expect(isTrustedUrl('http://localhost:5173/', trustedOrigins('http://localhost:5173', true))).toBe(false);
    expect(isTrustedUrl('app://other/index.html', trustedOrigins(undefined, true))).toBe(false);
    expect(isTrustedUrl('not a url', trustedOrigins(undefined, true))).toBe(false);
  });
});

describe('IPC', () => {
  const frame = (url: string, parent: unknown = null) => ({ senderFrame: { url, parent } });

  it('answers our own top frame through the dispatcher and refuses every other sender', async () => {
    const services = fakeServices();
    registerIpc(services, hostHandlers(() => null), trustedOrigins(undefined, true), () => []);
    const handler = state.handlers.get(IPC_INVOKE)!;
    expect(await handler(frame('app://lth/index.html'), 'datasets.list', {})).toMatchObject({ ok: true });
    for (const bad of [frame('https://evil.example/'), frame('file:///tmp/x.html'), frame('app://lth/index.html', {}), { senderFrame: null }]) {
      expect(await handler(bad, 'datasets.list', {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    }
    expect(await handler(frame('app://lth/index.html'), 'experiments.get', { id: 7 })).toMatchObject({ ok: false, error: { code: 'invalid', field: 'id' } });
  });

  it('forwards LabEvents to the windows and stops on dispose', () => {
    const services = fakeServices();
    const wc = new FakeWebContents();
    const win = { isDestroyed: () => false, webContents: wc } as unknown as BrowserWindow;
    const dispose = registerIpc(services, hostHandlers(() => null), trustedOrigins(undefined, true), () => [win]);
    const event = { type: 'status', experimentId: 'e1', status: 'running', error: null } as const;
    services.emit(event);
    expect(wc.sent).toEqual([{ channel: IPC_EVENT, args: [event] }]);
    dispose();
    services.emit(event);
    expect(wc.sent).toHaveLength(1);
    expect(state.handlers.has(IPC_INVOKE)).toBe(false);
  });

  it('answers host.pickFolder with the native dialog', async () => {
    const h = hostHandlers(() => null);
    state.dialogResult = { canceled: false, filePaths: ['/data/mnist'] };
    expect(await h['host.pickFolder']({})).toBe('/data/mnist');
    state.dialogResult = { canceled: true, filePaths: [] };
    expect(await h['host.pickFolder']({})).toBeNull();
  });
});

describe('app:// protocol', () => {
  const root = (() => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lth-proto-'));
    const r = path.join(dir, 'renderer');
    mkdirSync(path.join(r, 'assets'), { recursive: true });
    writeFileSync(path.join(r, 'index.html'), '<!doctype html>');
    writeFileSync(path.join(r, 'assets', 'a.js'), '1');
    writeFileSync(path.join(dir, 'secret.txt'), 'SECRET');
    return r;
  })();

  it('is registered as a secure standard scheme and served from the renderer folder', async () => {
    registerAppScheme();
    expect(state.schemes).toContainEqual({ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } });
    registerAppProtocol(root);
    const res = await state.protocolHandlers.get('app')!(new Request('app://lth/index.html'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe(APP_CSP);
  });

  it.each(['app://lth/../secret.txt', 'app://lth/%2e%2e/secret.txt', 'app://lth/assets/..%2f..%2fsecret.txt', 'app://lth/..%5csecret.txt', 'app://other/index.html'])('refuses %s', async (url) => {
    const res = await serveAppRequest(root, new Request(url));
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('SECRET');
  });
});

describe('utilityProcess worker spawner', () => {
  it('forks the worker entry and relays messages, exit and kill', () => {
    const handle = utilityProcessSpawner('/app/out/main/worker.js');
    const fork = state.forks.at(-1)!;
    expect(fork.entry).toBe('/app/out/main/worker.js');
    handle.send({ type: 'start' });
    expect(fork.child.posted).toEqual([{ type: 'start' }]);
    const got: unknown[] = [];
    handle.onMessage((m) => got.push(m));
    handle.onExit((c) => got.push(`exit ${c}`));
    fork.child.emit('message', { type: 'progress' });
    fork.child.emit('exit', 0);
    expect(got).toEqual([{ type: 'progress' }, 'exit 0']);
    handle.kill();
    expect(fork.child.killed).toBe(true);
  });
});
