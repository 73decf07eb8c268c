import path from 'node:path';
import { app, BrowserWindow, session } from 'electron';
import { createLabServices } from '../services';
import { registerAppProtocol, registerAppScheme } from './protocol';
import { registerIpc } from './ipc';
import { trustedOrigins } from './security';
import { describeBackend } from '../engine/backend';
import type { BackendInfo } from '../engine/types';
import { desktopTraining, probeTrainer } from './gpu-trainer/probe';
import { openGpuTrainerChannel, openGpuTrainerWindow, webgpuSwitches } from './gpu-window';
import { createMainWindow, hardenContents, hardenSession, hostHandlers } from './window';
import { utilityProcessSpawnerWith } from './worker-spawner';

/** Electron main: owns the services (engine + store); the window reaches them only through the preload's API. */
const devServerUrl = !app.isPackaged ? process.env['ELECTRON_RENDERER_URL'] : undefined;
const origins = trustedOrigins(devServerUrl, app.isPackaged);

registerAppScheme();
app.enableSandbox();
// WebGPU on a Linux desktop where Chromium does not enable it by default: only when the user opts in.
for (const [name, value] of webgpuSwitches()) app.commandLine.appendSwitch(name, value);
if (!app.requestSingleInstanceLock()) app.quit();

app.on('web-contents-created', (_event, contents) => hardenContents(contents, origins));

let mainWindow: BrowserWindow | null = null;

async function start(): Promise<void> {
  registerAppProtocol(path.join(__dirname, '../renderer'));
  hardenSession(session.defaultSession, origins);
  // WebGPU: Dawn's Node binding cannot run in Electron, so the app asks Chromium's own WebGPU, in a hidden
  // window's Web Worker, whether it can train; experiments then train there (each in a fresh window).
  const gpuPreload = path.join(__dirname, '../preload/gpu-trainer.js');
  const probeWindow = openGpuTrainerWindow(gpuPreload, devServerUrl);
  const training = desktopTraining(await probeTrainer(probeWindow.port, 15_000));
  probeWindow.port.close();
  const backendInfo: BackendInfo = training.useWindow
    ? { name: 'webgpu', tfBackend: 'webgpu', detail: training.detail ?? 'WebGPU (Chromium)' }
    : { ...(await describeBackend('auto')), note: training.note };
  const gpuTrainer = training.useWindow
    ? () => {
        const { window, port } = openGpuTrainerChannel(gpuPreload, devServerUrl);
        return { port, detail: backendInfo.detail, dispose: () => void (window.isDestroyed() || window.destroy()) };
      }
    : undefined;
  const services = await createLabServices({
    runner: 'child',
    workerEntry: path.join(__dirname, 'worker.js'),
    spawnWorker: utilityProcessSpawnerWith(gpuTrainer),
    backendInfo,
    // The hardened build disables the runAsNode fuse, so a utility process cannot fork Node children: each
    // experiment trains in its one utility process. (`lth serve` and the CLI train independent runs in parallel.)
    workers: 1,
  });
  const stopIpc = registerIpc(services, hostHandlers(() => mainWindow), origins, () => BrowserWindow.getAllWindows());
  const open = () => {
    mainWindow = createMainWindow(path.join(__dirname, '../preload/index.js'), devServerUrl);
    mainWindow.on('closed', () => (mainWindow = null));
  };
  open();
  app.on('second-instance', () => {
    if (mainWindow?.isMinimized()) mainWindow.restore();
    mainWindow?.focus();
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) open();
  });
  app.on('will-quit', () => {
    stopIpc();
    // Running experiments are marked interrupted by the store and resume on the next start.
    services.close();
  });
}

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

app.whenReady().then(start, (err: unknown) => {
  console.error('LTH Lab failed to start:', err);
  app.exit(1);
});
