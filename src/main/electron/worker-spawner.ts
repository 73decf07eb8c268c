import { utilityProcess, type MessagePortMain } from 'electron';
import type { WorkerSpawner } from '../services/worker-handle';

/**
 * Training runs in Electron utility processes (Node without a window), never on main's thread.
 * The worker receives messages on process.parentPort, not process.on('message').
 * With `gpuTrainer`, each experiment's 'run' message carries a fresh port to a WebGPU trainer window (the
 * experiment process then trains every run there); it returns null when the app trains on the CPU backends.
 */
export interface GpuTrainerLink {
  /** Main's end of a channel whose other end is a fresh WebGPU trainer window's worker. */
  port: MessagePortMain;
  /** The detail the experiment records as its backend. */
  detail: string;
  /** Closes the window once the experiment process is gone. */
  dispose: () => void;
}

export function utilityProcessSpawnerWith(gpuTrainer?: () => GpuTrainerLink | null): WorkerSpawner {
  return (entry) => {
    const child = utilityProcess.fork(entry, [], { serviceName: 'LTH Lab training', stdio: 'inherit' });
    const links: GpuTrainerLink[] = [];
    child.on('exit', () => links.splice(0).forEach((l) => l.dispose()));
    return {
      send: (message) => {
        const link = (message as { type?: string }).type === 'run' ? (gpuTrainer?.() ?? null) : null;
        if (!link) return void child.postMessage(message);
        links.push(link);
        child.postMessage({ ...(message as object), backendDetail: link.detail }, [link.port]);
      },
      onMessage: (listener) => void child.on('message', listener),
      onExit: (listener) => void child.on('exit', (code) => listener(code)),
      kill: () => void child.kill(),
    };
  };
}

export const utilityProcessSpawner: WorkerSpawner = utilityProcessSpawnerWith();
