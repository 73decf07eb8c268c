import type { LoadedDataset } from '../../engine/data/types';
import { answerTrainRequest } from '../../engine/train-request';
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
      void answerTrainRequest(m, data, controller.signal, send).finally(() => aborts.delete(m.id));
    }
  });
}
