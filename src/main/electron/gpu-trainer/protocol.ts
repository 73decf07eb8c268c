import type { LoadedDataset } from '../../engine/data/types';
import type { FromTrainer, ToTrainer } from '../../engine/pool-protocol';
import type { GpuAdapterInfo } from '../../../shared/results';

/**
 * The trainer host's messages over a MessagePort, for a home with no file system (the desktop app's WebGPU
 * Web Worker): the dataset comes once per worker as bytes (transferred, not copied), then runs as in the
 * process pool (the same 'train' / 'train-abort' / progress / checkpoint / done / error messages).
 */
export type ToPortTrainer =
  | { type: 'trainer-init-data'; dataset: LoadedDataset }
  | Extract<ToTrainer, { type: 'train' } | { type: 'train-abort' }>;

export type FromPortTrainer =
  | { type: 'trainer-ready'; backend: string; detail?: string; adapter?: GpuAdapterInfo | null }
  | Exclude<FromTrainer, { type: 'trainer-ready' }>;

/** The least both homes' ports offer: a DOM MessagePort (worker), Electron's MessagePortMain, a worker_threads port. */
export interface TrainerPort {
  postMessage(message: unknown, transfer?: ArrayBuffer[]): void;
  onMessage(listener: (message: unknown) => void): void;
  close(): void;
}

/**
 * A copy of the dataset whose four byte arrays are handed over to the other side (so the sender's own arrays
 * stay usable), and the buffers to transfer.
 */
export function datasetForTransfer(d: LoadedDataset): { dataset: LoadedDataset; transfer: ArrayBuffer[] } {
  const copy = (a: Uint8Array) => new Uint8Array(a);
  const dataset: LoadedDataset = {
    ...d,
    classNames: [...d.classNames],
    mean: [...d.mean],
    std: [...d.std],
    shape: [...d.shape] as [number, number, number],
    trainImages: copy(d.trainImages),
    trainLabels: copy(d.trainLabels),
    testImages: copy(d.testImages),
    testLabels: copy(d.testLabels),
  };
  return { dataset, transfer: [dataset.trainImages, dataset.trainLabels, dataset.testImages, dataset.testLabels].map((a) => a.buffer as ArrayBuffer) };
}

/** Checks the shape of a message from the other side before acting on it (a port is a trust boundary). */
export function isToPortTrainer(m: unknown): m is ToPortTrainer {
  if (typeof m !== 'object' || m === null) return false;
  const t = (m as { type?: unknown }).type;
  if (t === 'trainer-init-data') {
    const d = (m as { dataset?: Partial<LoadedDataset> }).dataset;
    return !!d && d.trainImages instanceof Uint8Array && d.trainLabels instanceof Uint8Array && d.testImages instanceof Uint8Array && d.testLabels instanceof Uint8Array && Array.isArray(d.shape);
  }
  if (t === 'train') return typeof (m as { id?: unknown }).id === 'number' && typeof (m as { job?: unknown }).job === 'object';
  if (t === 'train-abort') return typeof (m as { id?: unknown }).id === 'number';
  return false;
}
