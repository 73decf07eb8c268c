import { initBackend, type BackendChoice } from '../engine/backend';
import { loadDataset } from '../engine/data';
import type { LoadedDataset } from '../engine/data/types';
import type { FromTrainer, ToTrainer } from '../engine/pool-protocol';
import { AbortedError, trainRun } from '../engine/trainer';

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
      void (async () => {
        try {
          if (!data) throw new Error('trainer used before trainer-init');
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
  };
}
