import type { LoadedDataset } from '../../engine/data/types';
import type { BackendInfo } from '../../engine/types';
import { portExecutor } from './executor';
import type { TrainerPort } from './protocol';

/** Electron's MessagePortMain as a utility process receives it (typed here so this file needs no 'electron'). */
export interface MainPortLike {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
  start(): void;
  close(): void;
}

export function trainerPortOf(port: MainPortLike): TrainerPort {
  port.start();
  return {
    postMessage: (m) => port.postMessage(m),
    onMessage: (listener) => port.on('message', (e) => listener(e.data)),
    close: () => port.close(),
  };
}

/**
 * For an experiment process that main handed a port to the WebGPU trainer window: the backend it records and
 * the executor runExperiment trains through (every run goes to the window's Web Worker).
 */
export function windowTrainer(port: MainPortLike, detail: string | undefined): { backend: BackendInfo; executor: (data: LoadedDataset) => ReturnType<typeof portExecutor> } {
  return {
    backend: { name: 'webgpu', tfBackend: 'webgpu', detail: detail ?? "WebGPU (Chromium) in the app's trainer window" },
    executor: (data) => portExecutor(trainerPortOf(port), data),
  };
}
