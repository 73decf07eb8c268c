import type { BackendInfo } from '../engine/types';
/**
 * A training process as the experiment queue sees it. Under plain Node it wraps child_process.fork;
 * in Electron main it wraps utilityProcess.fork, so heavy work never runs on Electron's main thread.
 */
export interface WorkerHandle {
  send(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  onExit(listener: (code: number | null) => void): void;
  kill(): void;
}

/** Starts the bundled worker entry (dist/worker.js or out/main/worker.js) as a separate process. */
export type WorkerSpawner = (entry: string) => WorkerHandle;

export interface LabServicesOptions {
  /** Data directory (default: LTH_HOME, else the OS application-data folder of "LTH Lab"). */
  home?: string;
  /** Database file (default: LTH_DB, else <home>/lth.sqlite). */
  dbPath?: string;
  backend?: 'auto' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
  /** Load TensorFlow.js only when an experiment runs in this process (CLI commands that only read the store). */
  lazyBackend?: boolean;
  /** How queued experiments train: 'inline' in this process (the CLI), 'child' in worker processes (app, server). */
  runner?: 'inline' | 'child';
  /** Training processes per experiment (default: one per CPU core); 1 trains in the experiment's own process. */
  workers?: number;
  /** Absolute path of the bundled worker entry; required for runner 'child' and for workers > 1. */
  workerEntry?: string;
  /** Electron passes a utilityProcess-based spawner; plain Node uses child_process.fork. */
  spawnWorker?: WorkerSpawner;
  /** The backend the children train with, when the front door decides it (the desktop app's WebGPU window). */
  backendInfo?: BackendInfo;
}
