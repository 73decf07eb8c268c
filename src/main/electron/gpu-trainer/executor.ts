import type { LoadedDataset } from '../../engine/data/types';
import type { Executor } from '../../engine/executor';
import { JobQueue } from '../../engine/job-queue';
import { AbortedError, type TrainHooks } from '../../engine/trainer';
import type { TrainOutcome } from '../../engine/types';
import { datasetForTransfer, type FromPortTrainer, type ToPortTrainer, type TrainerPort } from './protocol';

export interface PortExecutor extends Executor {
  /** What the host reported when it loaded its backend (rejects with its reason when it could not). */
  readonly ready: Promise<Extract<FromPortTrainer, { type: 'trainer-ready' }>>;
}

/**
 * The IMP driver's Executor over a trainer host behind a MessagePort (the WebGPU Web Worker): one run at a
 * time, the dataset sent once, then jobs in and progress, checkpoints and outcomes out. Runs are pure
 * functions of their jobs, so results do not depend on where they train.
 */
export function portExecutor(port: TrainerPort, data: LoadedDataset): PortExecutor {
  const queue = new JobQueue(1);
  const pending = new Map<number, { hooks: TrainHooks; resolve: (o: TrainOutcome) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let closed = false;
  let settle!: { resolve: (m: Extract<FromPortTrainer, { type: 'trainer-ready' }>) => void; reject: (e: Error) => void };
  const ready = new Promise<Extract<FromPortTrainer, { type: 'trainer-ready' }>>((resolve, reject) => (settle = { resolve, reject }));
  ready.catch(() => {});
  const send = (m: ToPortTrainer, transfer?: ArrayBuffer[]) => port.postMessage(m, transfer);

  port.onMessage((raw) => {
    const m = raw as FromPortTrainer;
    if (m.type === 'trainer-ready') return settle.resolve(m);
    if (m.type === 'trainer-failed') {
      const err = new Error(`the trainer could not start: ${m.message}`);
      settle.reject(err);
      for (const p of pending.values()) p.reject(err);
      pending.clear();
      return;
    }
    const p = pending.get(m.id);
    if (!p) return;
    if (m.type === 'train-progress') p.hooks.onProgress?.(m.progress);
    else if (m.type === 'train-checkpoint') p.hooks.onCheckpoint?.(m.checkpoint);
    else if (m.type === 'train-done') {
      pending.delete(m.id);
      p.resolve(m.outcome);
    } else if (m.type === 'train-error') {
      pending.delete(m.id);
      p.reject(m.aborted ? new AbortedError() : new Error(m.message));
    }
  });
  const init = datasetForTransfer(data);
  send({ type: 'trainer-init-data', dataset: init.dataset }, init.transfer);

  const runOn = async (job: Parameters<Executor['run']>[0], hooks: TrainHooks): Promise<TrainOutcome> => {
    if (hooks.signal?.aborted || closed) throw new AbortedError();
    await ready;
    const id = nextId++;
    const abort = () => send({ type: 'train-abort', id });
    return new Promise<TrainOutcome>((resolve, reject) => {
      // The experiment's runs share one signal: a listener left behind per run would pile up over its rounds.
      const settle = () => hooks.signal?.removeEventListener('abort', abort);
      pending.set(id, { hooks, resolve: (o) => (settle(), resolve(o)), reject: (e) => (settle(), reject(e)) });
      hooks.signal?.addEventListener('abort', abort, { once: true });
      send({
        type: 'train',
        id,
        job,
        restore: hooks.restore,
        checkpointEveryMs: hooks.onCheckpoint ? hooks.checkpointEveryMs : undefined,
        checkpointEveryIterations: hooks.onCheckpoint ? hooks.checkpointEveryIterations : undefined,
      });
    });
  };

  return {
    concurrency: 1,
    ready,
    run: (job, priority, hooks) => queue.schedule(priority, () => runOn(job, hooks)),
    close: async () => {
      closed = true;
      for (const p of pending.values()) p.reject(new AbortedError());
      pending.clear();
      port.close();
    },
  };
}
