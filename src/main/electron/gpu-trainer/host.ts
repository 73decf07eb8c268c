import type { LoadedDataset } from '../../engine/data/types';
import { AbortedError, trainRun } from '../../engine/trainer';
import type { GpuAdapterInfo } from '../../../shared/results';
import { isToPortTrainer, type FromPortTrainer, type TrainerPort } from './protocol';

export interface HostBackend {
  backend: string;
  detail?: string;
  adapter?: GpuAdapterInfo | null;
}

/**
 * The trainer host behind a MessagePort: the desktop app's WebGPU Web Worker runs this (no Node there), and the
 * protocol tests run it in plain Node. It trains with the engine's one trainRun; `loadBackend` is the home's
 * own way to get a backend (the worker: tfjs-backend-webgpu on the browser's navigator.gpu).
 */
export function serveTrainer(port: TrainerPort, loadBackend: () => Promise<HostBackend>): void {
  const send = (m: FromPortTrainer) => port.postMessage(m);
  let data: LoadedDataset | null = null;
  const aborts = new Map<number, AbortController>();
  port.onMessage((raw) => {
    if (!isToPortTrainer(raw)) {
      send({ type: 'trainer-failed', message: `trainer host: unexpected message ${JSON.stringify(raw)?.slice(0, 200)}` });
      return;
    }
    const m = raw;
    if (m.type === 'trainer-init-data') {
      void (async () => {
        try {
          const b = await loadBackend();
          data = m.dataset;
          send({ type: 'trainer-ready', backend: b.backend, detail: b.detail, adapter: b.adapter ?? null });
        } catch (err) {
          send({ type: 'trainer-failed', message: (err as Error).message });
        }
      })();
    } else if (m.type === 'train-abort') {
      aborts.get(m.id)?.abort();
    } else {
      const controller = new AbortController();
      aborts.set(m.id, controller);
      void (async () => {
        try {
          if (!data) throw new Error('trainer used before trainer-init-data');
          const outcome = await trainRun(m.job, data, {
            signal: controller.signal,
            restore: m.restore,
            checkpointEveryMs: m.checkpointEveryMs,
            checkpointEveryIterations: m.checkpointEveryIterations,
            onCheckpoint: m.checkpointEveryMs || m.checkpointEveryIterations ? (checkpoint) => send({ type: 'train-checkpoint', id: m.id, checkpoint }) : undefined,
            onProgress: (progress) => send({ type: 'train-progress', id: m.id, progress }),
          });
          send({ type: 'train-done', id: m.id, outcome });
        } catch (err) {
          send({ type: 'train-error', id: m.id, message: (err as Error).message, aborted: err instanceof AbortedError });
        } finally {
          aborts.delete(m.id);
        }
      })();
    }
  });
}
