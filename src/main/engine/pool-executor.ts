import { fork, type ChildProcess } from 'node:child_process';
import type { DatasetRef } from './data/descriptor';
import type { Executor } from './executor';
import { JobQueue } from './job-queue';
import type { FromTrainer, ToTrainer } from './pool-protocol';
import { AbortedError, type TrainHooks } from './trainer';
import type { TrainJob, TrainOutcome } from './types';

interface Slot {
  child: ChildProcess;
  ready: Promise<void>;
  busy: boolean;
  pending: Map<number, { hooks: TrainHooks; resolve: (o: TrainOutcome) => void; reject: (e: Error) => void }>;
}

/**
 * Trains independent runs (controls, trials) in `size` processes, one per core: the wasm backend is
 * single-threaded, and tfjs-node cannot load in worker threads. Each process loads the dataset once.
 * Results do not depend on which process trains what: every run is a pure function of its job.
 */
export function processPoolExecutor(opts: { size: number; entry: string; dataset: DatasetRef; backend: string }): Executor {
  const queue = new JobQueue(opts.size);
  const slots: Slot[] = [];
  let nextId = 1;
  let closed = false;

  const spawnSlot = (): Slot => {
    // ELECTRON_RUN_AS_NODE lets the same code fork from inside Electron's utility process.
    const child = fork(opts.entry, [], {
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    });
    const slot: Slot = { child, busy: false, pending: new Map(), ready: Promise.resolve() };
    slot.ready = new Promise<void>((resolve, reject) => {
      child.on('message', (raw) => {
        const m = raw as FromTrainer;
        if (m.type === 'trainer-ready') resolve();
        else if (m.type === 'trainer-failed') reject(new Error(m.message));
        else {
          const p = slot.pending.get(m.id);
          if (!p) return;
          if (m.type === 'train-progress') p.hooks.onProgress?.(m.progress);
          else if (m.type === 'train-checkpoint') p.hooks.onCheckpoint?.(m.checkpoint);
          else if (m.type === 'train-done') {
            slot.pending.delete(m.id);
            p.resolve(m.outcome);
          } else if (m.type === 'train-error') {
            slot.pending.delete(m.id);
            p.reject(m.aborted ? new AbortedError() : new Error(m.message));
          }
        }
      });
      child.on('exit', (code) => {
        const err = new Error(`a training process exited unexpectedly (code ${code ?? 'signal'})`);
        reject(err);
        for (const p of slot.pending.values()) p.reject(closed ? new AbortedError() : err);
        slot.pending.clear();
        const at = slots.indexOf(slot);
        if (at >= 0) slots.splice(at, 1);
      });
    });
    slot.ready.catch(() => {});
    child.send({ type: 'trainer-init', dataset: opts.dataset, backend: opts.backend } satisfies ToTrainer);
    slots.push(slot);
    return slot;
  };

  const acquire = (): Slot => {
    const idle = slots.find((s) => !s.busy);
    const slot = idle ?? spawnSlot();
    slot.busy = true;
    return slot;
  };

  const runOn = async (job: TrainJob, hooks: TrainHooks): Promise<TrainOutcome> => {
    if (hooks.signal?.aborted) throw new AbortedError();
    const slot = acquire();
    let abort: (() => void) | null = null;
    try {
      await slot.ready;
      const id = nextId++;
      return await new Promise<TrainOutcome>((resolve, reject) => {
        slot.pending.set(id, { hooks, resolve, reject });
        abort = () => slot.child.connected && slot.child.send({ type: 'train-abort', id } satisfies ToTrainer);
        hooks.signal?.addEventListener('abort', abort, { once: true });
        slot.child.send({
          type: 'train',
          id,
          // Functions and signals stay here; the job itself is plain data.
          job,
          restore: hooks.restore,
          checkpointEveryMs: hooks.onCheckpoint ? hooks.checkpointEveryMs : undefined,
          checkpointEveryIterations: hooks.onCheckpoint ? hooks.checkpointEveryIterations : undefined,
        } satisfies ToTrainer);
      });
    } finally {
      // Every run of an experiment shares its signal: a listener left behind per run would pile up (Node warns at 11).
      if (abort) hooks.signal?.removeEventListener('abort', abort);
      slot.busy = false;
    }
  };

  return {
    concurrency: opts.size,
    run: (job, priority, hooks) => queue.schedule(priority, () => runOn(job, hooks)),
    close: async () => {
      closed = true;
      await Promise.all(
        slots.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.child.once('exit', () => resolve());
              s.child.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}
