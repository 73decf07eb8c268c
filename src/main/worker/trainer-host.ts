import { initBackend, type BackendChoice } from '../engine/backend';
import { loadDataset } from '../engine/data';
import type { LoadedDataset } from '../engine/data/types';
import type { FromTrainer, ToTrainer } from '../engine/pool-protocol';
import { answerTrainRequest } from '../engine/train-request';

/** The training side of the process pool: one run at a time, streamed back to the pool executor. */
export function hostTrainer(send: (m: FromTrainer) => void): (m: ToTrainer) => void {
  let data: LoadedDataset | null = null;
  const aborts = new Map<number, AbortController>();
  return (m) => {
    if (m.type === 'trainer-init') {
      void (async () => {
        try {
          const backend = await initBackend(m.backend as BackendChoice);
          data = loadDataset(m.dataset);
          send({ type: 'trainer-ready', backend: backend.name });
        } catch (err) {
          send({ type: 'trainer-failed', message: (err as Error).message });
        }
      })();
    } else if (m.type === 'train-abort') {
      aborts.get(m.id)?.abort();
    } else if (m.type === 'train') {
      const controller = new AbortController();
      aborts.set(m.id, controller);
      void answerTrainRequest(m, data, controller.signal, send).finally(() => aborts.delete(m.id));
    }
  };
}
