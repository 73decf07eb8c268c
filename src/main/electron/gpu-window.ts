import { BrowserWindow, MessageChannelMain, type MessagePortMain } from 'electron';
import type { TrainerPort } from './gpu-trainer/protocol';
import { APP_ORIGIN, webPreferences } from './security';

/**
 * The desktop app's WebGPU home: a hidden window, with the main window's security settings (sandboxed, context
 * isolation, no Node; CSP and navigation rules from the app:// handler and hardenContents), whose dedicated
 * Web Worker trains on Chromium's WebGPU. Main keeps one end of a MessageChannel; the other goes to the worker.
 * The returned port feeds portExecutor (src/main/electron/gpu-trainer/executor.ts).
 */
export function openGpuTrainerWindow(preload: string, devServerUrl?: string): { window: BrowserWindow; port: TrainerPort } {
  const { window, port } = openGpuTrainerChannel(preload, devServerUrl);
  port.start();
  return { window, port: mainPort(port, window) };
}

/** The same window, with main's end of the channel left raw: it is handed on to an experiment's utility process. */
export function openGpuTrainerChannel(preload: string, devServerUrl?: string): { window: BrowserWindow; port: MessagePortMain } {
  const win = new BrowserWindow({
    show: false,
    width: 320,
    height: 240,
    title: 'LTH Lab trainer',
    // A hidden window must not be throttled while it trains.
    webPreferences: { ...webPreferences(preload), backgroundThrottling: false },
  });
  const { port1, port2 } = new MessageChannelMain();
  win.webContents.once('did-finish-load', () => win.webContents.postMessage('lth-trainer-port', null, [port2]));
  void win.loadURL(`${devServerUrl ?? APP_ORIGIN}/gpu-trainer.html`);
  return { window: win, port: port1 };
}

function mainPort(port: MessagePortMain, win: BrowserWindow): TrainerPort {
  return {
    // MessagePortMain has no transfer list: buffers are copied once (the dataset, once per worker).
    postMessage: (m) => port.postMessage(m),
    onMessage: (listener) => void port.on('message', (e) => listener(e.data)),
    close: () => {
      port.close();
      if (!win.isDestroyed()) win.destroy();
    },
  };
}

/**
 * Chromium switches for WebGPU on a Linux desktop where it is not on by default. Off unless the user opts in
 * (LTH_ENABLE_UNSAFE_WEBGPU=1): the app then says in the status bar which flags or driver would enable it.
 */
export function webgpuSwitches(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): [string, string?][] {
  if (platform !== 'linux' || env.LTH_ENABLE_UNSAFE_WEBGPU !== '1') return [];
  return [['enable-unsafe-webgpu'], ['enable-features', 'Vulkan']];
}
