import { vi } from 'vitest';

/**
 * A stand-in for the parts of the electron module the glue touches, recording what the glue asks
 * for: the Electron binary cannot run on CI machines.
 */
type Listener = (...args: unknown[]) => unknown;

export class FakeWebContents {
  listeners = new Map<string, Listener[]>();
  windowOpenHandler: ((d: { url: string }) => { action: string }) | null = null;
  sent: { channel: string; args: unknown[] }[] = [];
  on(name: string, l: Listener) {
    this.listeners.set(name, [...(this.listeners.get(name) ?? []), l]);
    return this;
  }
  setWindowOpenHandler(h: (d: { url: string }) => { action: string }) {
    this.windowOpenHandler = h;
  }
  send(channel: string, ...args: unknown[]) {
    this.sent.push({ channel, args });
  }
  emit(name: string, ...args: unknown[]) {
    for (const l of this.listeners.get(name) ?? []) l(...args);
  }
}

export const state = {
  windows: [] as FakeBrowserWindow[],
  handlers: new Map<string, Listener>(),
  schemes: [] as unknown[],
  protocolHandlers: new Map<string, (req: Request) => Promise<Response>>(),
  forks: [] as { entry: string; options: unknown; child: FakeChild }[],
  dialogResult: { canceled: false, filePaths: ['/home/user/data'] } as { canceled: boolean; filePaths: string[] },
  openExternal: [] as string[],
};

export class FakeChild {
  listeners = new Map<string, Listener[]>();
  posted: unknown[] = [];
  killed = false;
  postMessage(m: unknown) {
    this.posted.push(m);
  }
  on(name: string, l: Listener) {
    this.listeners.set(name, [...(this.listeners.get(name) ?? []), l]);
    return this;
  }
  kill() {
    this.killed = true;
    return true;
  }
  emit(name: string, ...args: unknown[]) {
    for (const l of this.listeners.get(name) ?? []) l(...args);
  }
}

export class FakeBrowserWindow {
  webContents = new FakeWebContents();
  loaded: string | null = null;
  constructor(readonly options: Record<string, unknown>) {
    state.windows.push(this);
  }
  once() {
    return this;
  }
  on() {
    return this;
  }
  loadURL(url: string) {
    this.loaded = url;
    return Promise.resolve();
  }
  isDestroyed() {
    return false;
  }
  show() {}
  static getAllWindows() {
    return state.windows;
  }
}

export function electronModule() {
  return {
    BrowserWindow: FakeBrowserWindow,
    ipcMain: {
      handle: vi.fn((channel: string, h: Listener) => state.handlers.set(channel, h)),
      removeHandler: vi.fn((channel: string) => state.handlers.delete(channel)),
    },
    protocol: {
      registerSchemesAsPrivileged: vi.fn((s: unknown[]) => state.schemes.push(...s)),
      handle: vi.fn((scheme: string, h: (req: Request) => Promise<Response>) => state.protocolHandlers.set(scheme, h)),
    },
    dialog: { showOpenDialog: vi.fn(async () => state.dialogResult) },
    shell: { openExternal: vi.fn(async (u: string) => void state.openExternal.push(u)) },
    utilityProcess: {
      fork: vi.fn((entry: string, _args: string[], options: unknown) => {
        const child = new FakeChild();
        state.forks.push({ entry, options, child });
        return child;
      }),
    },
  };
}
