import { utilityProcess } from 'electron';
import type { WorkerSpawner } from '../services/worker-handle';

/**
 * Training runs in Electron utility processes (Node without a window), never on main's thread.
 * The worker receives messages on process.parentPort, not process.on('message').
 */
export const utilityProcessSpawner: WorkerSpawner = (entry) => {
  const child = utilityProcess.fork(entry, [], { serviceName: 'LTH Lab training', stdio: 'inherit' });
  return {
    send: (message) => child.postMessage(message),
    onMessage: (listener) => void child.on('message', listener),
    onExit: (listener) => void child.on('exit', (code) => listener(code)),
    kill: () => void child.kill(),
  };
};
