import * as tf from '@tensorflow/tfjs-core';
import type { LoadedDataset } from '../data/types';
import type { Executor } from '../executor';
import { planNetwork, type NetworkPlan } from '../network';
import { AbortedError, EVAL_CHUNK, trainRun, type TrainHooks } from '../trainer';
import type { TrainJob, TrainOutcome } from '../types';
import { packedSupported, type MatMulMode } from './packed-model';
import { trainPacked, type PackMember } from './packed-trainer';

export interface PackingOptions {
  /** Most runs in one pack (default 16). */
  maxRuns?: number;
  /** Bytes the packed tensors of one pack may take (default: 2 GiB on a GPU backend, 1 GiB on wasm/cpu). */
  memoryBudget?: number;
  /** matMul strategy; default by backend (packed-model.ts). */
  mode?: MatMulMode;
  /** Called with the jobs of every pack as it starts (tests, logs). */
  onPack?: (jobs: TrainJob[]) => void;
  /** Called with the jobs that join a pack while it trains. */
  onJoin?: (jobs: TrainJob[]) => void;
  /** Let runs that become ready join a running pack (default true). */
  join?: boolean;
}

/** WebGPU's default maxStorageBufferBindingSize: no single packed tensor may be larger. */
const MAX_TENSOR_BYTES = 128 * 1024 * 1024;

/**
 * Bytes one run adds to a pack, estimated from the network: parameters with their mask, two moments, gradient and
 * two update temporaries; a training batch's activations forward and backward; an evaluation chunk's inputs,
 * transposed copy and activations. Conservative (tfjs frees most temporaries within the step).
 */
export function bytesPerRun(plan: NetworkPlan, batchSize: number): number {
  const params = plan.layers.reduce((a, l) => a + l.weights + l.shape[1]!, 0);
  const inputs = plan.flatSize;
  const widths = plan.layers.reduce((a, l) => a + l.shape[1]!, 0);
  return 4 * (7 * params + 4 * batchSize * (inputs + widths) + EVAL_CHUNK * (2 * inputs + 3 * widths));
}

/** The largest R the memory bound allows for this network (at least 1). */
export function maxPackFor(plan: NetworkPlan, batchSize: number, opts: { maxRuns?: number; memoryBudget?: number } = {}): number {
  const gpu = ['webgpu', 'webgl', 'tensorflow'].includes(tf.getBackend());
  const budget = opts.memoryBudget ?? (gpu ? 2 : 1) * 1024 ** 3;
  const byBudget = Math.floor(budget / bytesPerRun(plan, batchSize));
  // The largest single tensors: the evaluation chunk's inputs [R, 1000, in] and a stacked kernel [R, out, in].
  const largestPerRun = 4 * Math.max(EVAL_CHUNK * plan.flatSize, ...plan.layers.map((l) => l.weights), EVAL_CHUNK * Math.max(...plan.layers.map((l) => l.shape[1]!)));
  const byTensor = Math.floor(MAX_TENSOR_BYTES / largestPerRun);
  return Math.max(1, Math.min(opts.maxRuns ?? 16, byBudget, byTensor));
}

/** Runs may share a pack when the stacked tensors and the one optimizer step fit them all. */
export function packKey(job: TrainJob, data: LoadedDataset): string | null {
  const plan = planNetwork(job.spec.network, data.shape, data.numClasses);
  if (!packedSupported(plan)) return null;
  // Early-bird tracking (a mask distance at every evaluation, and maybe an early end) is the one-run trainer's.
  if ((job as { earlyBird?: unknown }).earlyBird) return null;
  const t = job.spec.training;
  return JSON.stringify({
    layers: plan.layers.map((l) => l.shape),
    dropout: job.spec.network.dropout,
    batch: t.batchSize,
    optimizer: t.optimizer,
    momentum: t.optimizer === 'sgd' ? t.momentum : null,
    decay: t.weightDecay ?? 0,
    validation: t.validationSize,
  });
}

interface Waiting extends PackMember {
  priority: number;
  seq: number;
  key: string | null;
  onAbort?: () => void;
}

/**
 * The scheduler seam of packed training (issue 11). runImp submits every run that is ready at once (all trials,
 * controls beside the next ticket round); this executor waits for the submissions of one moment (one macrotask),
 * then trains the ready runs that share a network shape and batch size as one pack, up to the memory bound, in
 * priority order (ticket rounds before controls, as the one-run queue does). Each job's promise settles with its own
 * outcome as soon as its run ends; a run that finishes or is stopped leaves the pack, which shrinks (a gather of
 * the stacked tensors, once, rather than a masked-out run costing compute every remaining step). Networks the
 * packed model does not cover (conv layers) train one at a time with the one-run trainer.
 */
export function packingExecutor(data: LoadedDataset, opts: PackingOptions = {}): Executor {
  const waiting: Waiting[] = [];
  let seq = 0;
  let busy = false;
  let scheduled = false;
  let closed = false;

  const schedule = () => {
    if (scheduled || closed) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      void pump();
    });
  };

  const take = (w: Waiting) => {
    const at = waiting.indexOf(w);
    if (at >= 0) waiting.splice(at, 1);
    if (w.onAbort) w.hooks.signal?.removeEventListener('abort', w.onAbort);
  };

  const pump = async () => {
    if (busy || waiting.length === 0) return;
    waiting.sort((a, b) => a.priority - b.priority || a.seq - b.seq);
    const head = waiting[0]!;
    busy = true;
    try {
      if (head.key === null) {
        take(head);
        await trainRun(head.job, data, head.hooks).then(head.resolve, head.reject);
        return;
      }
      const plan = planNetwork(head.job.spec.network, data.shape, data.numClasses);
      const limit = maxPackFor(plan, head.job.spec.training.batchSize, opts);
      const pack = waiting.filter((w) => w.key === head.key).slice(0, limit);
      pack.forEach(take);
      opts.onPack?.(pack.map((w) => w.job));
      // Runs that become ready while the pack trains (the next ticket round after a run that finished early) join it.
      const pull = (size: number): PackMember[] => {
        const room = limit - size;
        if (room <= 0 || opts.join === false) return [];
        waiting.sort((a, b) => a.priority - b.priority || a.seq - b.seq);
        const joining = waiting.filter((w) => w.key === head.key).slice(0, room);
        joining.forEach(take);
        if (joining.length) opts.onJoin?.(joining.map((w) => w.job));
        return joining;
      };
      await trainPacked(pack, data, { mode: opts.mode, pull });
    } catch (err) {
      head.reject(err as Error);
    } finally {
      busy = false;
      schedule();
    }
  };

  return {
    concurrency: opts.maxRuns ?? 16,
    run(job: TrainJob, priority: number, hooks: TrainHooks): Promise<TrainOutcome> {
      return new Promise<TrainOutcome>((resolve, reject) => {
        if (closed || hooks.signal?.aborted) return reject(new AbortedError());
        const w: Waiting = { job, hooks, resolve, reject, priority, seq: seq++, key: packKey(job, data) };
        // A run stopped while it waits leaves the queue at once.
        w.onAbort = () => {
          if (!waiting.includes(w)) return;
          take(w);
          reject(new AbortedError());
        };
        hooks.signal?.addEventListener('abort', w.onAbort, { once: true });
        waiting.push(w);
        schedule();
      });
    },
    async close() {
      closed = true;
      for (const w of [...waiting]) {
        take(w);
        w.reject(new AbortedError());
      }
    },
  };
}
