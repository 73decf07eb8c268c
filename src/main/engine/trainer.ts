import { LossTrace, traceStart } from './loss-trace';
import * as tf from '@tensorflow/tfjs-core';
import type { EvalPoint, RunResult } from '../../shared/results';
import type { LoadedDataset } from './data/types';
import { augmentBatch } from './data/augment';
import { exampleOrder, fillBatch } from './data/batches';
import { trialData } from './trial-data';
import { updateRunningStats, type BatchStats } from './batch-norm';
import { createParams, disposeParams, forward, gammas, readWeights, type Params } from './model';
import { activationFloats, planNetwork, type NetworkPlan } from './network';
import { createOptimizer } from './optimizer';
import { deriveSeed } from './random';
import type { Checkpoint, TrainJob, TrainOutcome, TrainProgress, WeightSet } from './types';
import { applyMask, density } from './weights';
import { finalLearningRate, learningRateAt } from '../../shared/schedule';
import { earlyBirdTracker } from './analyses/early-bird';

export class AbortedError extends Error {
  override name = 'AbortedError';
  constructor() {
    super('stopped before the run finished');
  }
}

export interface TrainHooks {
  signal?: AbortSignal;
  onProgress?: (progress: TrainProgress) => void;
  /** Continue from this mid-run state instead of the job's start. */
  restore?: Checkpoint;
  /** Called with the run's state at most every `checkpointEveryMs` (long runs only), and once more when `signal` stops it. */
  onCheckpoint?: (checkpoint: Checkpoint) => void;
  checkpointEveryMs?: number;
  /** Also checkpoint after every this many iterations: a trigger that does not depend on timing (tests, clusters). */
  checkpointEveryIterations?: number;
}

/** How often the loop hands control back to the event loop (signals, IPC, progress). */
export const YIELD_MS = 50;
/** Examples per evaluation pass (the packed trainer sizes its memory estimate with it too). */
export const EVAL_CHUNK = 1000;

export interface Evaluation {
  loss: number;
  accuracy: number;
}

/**
 * Tensor bytes of one evaluation chunk: tfjs-wasm's heap is 4 GB. Evaluation runs in one tidy, so every
 * intermediate of the forward pass is held until the chunk is done: measured with tf.profile on wasm, per example,
 * 3.1-3.3x the activation floats without batch norm (Conv-2/4/6) and 5.1-6.1x with it (VGG-19, ResNet-20).
 */
export const EVAL_CHUNK_BYTES = 3.3e9;
const EVAL_FLOATS_PER_ACTIVATION = { batchNorm: 6.5, plain: 3.5 } as const;

/**
 * Examples per evaluation chunk: EVAL_CHUNK, unless the network's intermediates would not fit EVAL_CHUNK_BYTES
 * (ResNet-20 at 1000 took 5.0 GB and aborted wasm; now 622; VGG-19 414). LeNet and Conv-2/4/6 keep 1000 (Conv-6:
 * 2.9 GB measured), so their evaluations sum exactly as before. Backend-independent: the same numbers everywhere.
 */
export function evalChunk(plan: NetworkPlan): number {
  const perActivation = plan.layers.some((l) => l.batchNorm) ? EVAL_FLOATS_PER_ACTIVATION.batchNorm : EVAL_FLOATS_PER_ACTIVATION.plain;
  return Math.max(1, Math.min(EVAL_CHUNK, Math.floor(EVAL_CHUNK_BYTES / (4 * perActivation * activationFloats(plan)))));
}

async function evaluate(plan: NetworkPlan, params: Params, data: LoadedDataset, split: 'train' | 'test', indices: Uint32Array, lut: Float32Array): Promise<Evaluation> {
  const size = data.shape[0] * data.shape[1] * data.shape[2];
  const step = evalChunk(plan);
  const pixels = new Float32Array(step * size);
  const labels = new Int32Array(step);
  let lossSum = 0;
  let correct = 0;
  for (let from = 0; from < indices.length; from += step) {
    const chunk = indices.subarray(from, Math.min(from + step, indices.length));
    const n = chunk.length;
    fillBatch(data, chunk, pixels, labels, split, lut);
    const lossAndHits = tf.tidy(() => {
      const x = tf.tensor2d(pixels.subarray(0, n * size), [n, size]);
      const y = tf.tensor1d(labels.subarray(0, n), 'int32');
      const logits = forward(plan, params, x, null);
      const loss = tf.losses.softmaxCrossEntropy(tf.oneHot(y, plan.layers.at(-1)!.shape[1]!), logits, undefined, undefined, tf.Reduction.SUM);
      const hits = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'float32'));
      return tf.stack([loss, hits]);
    });
    // Asynchronous readbacks: WebGPU has no synchronous one in Node (it needs OffscreenCanvas), and a
    // synchronous read stalls a real GPU.
    const [l, c] = await lossAndHits.data();
    lossAndHits.dispose();
    lossSum += l!;
    correct += c!;
  }
  return { loss: lossSum / indices.length, accuracy: correct / indices.length };
}

/** Lets signals, IPC and progress through: setImmediate in Node, a zero timeout where there is none (a Web Worker). */
const yieldToEventLoop = (): Promise<void> => {
  const immediate = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate;
  return new Promise((resolve) => (immediate ? immediate(resolve) : setTimeout(resolve, 0)));
};

/** What a finished run reports: its mask's density, the early-stopping point and the last evaluation. */
export function runResultOf(job: TrainJob, curve: EvalPoint[], endIteration: number, began: number): RunResult {
  const stop = earlyStopPoint(curve);
  const last = curve.at(-1)!;
  const d = density(job.mask);
  return {
    trial: job.trial,
    variant: job.variant,
    round: job.round,
    weightsRemaining: d.overall,
    layerDensity: d.perLayer,
    earlyStopIteration: stop.iteration,
    valLoss: stop.valLoss,
    valAccuracy: stop.valAccuracy,
    testAccuracy: stop.testAccuracy,
    finalValAccuracy: last.valAccuracy,
    finalTestAccuracy: last.testAccuracy,
    iterations: endIteration - job.startIteration,
    durationMs: Math.round(performance.now() - began),
    curve,
  };
}

/** The evaluation of minimum validation loss; the earliest one on ties. */
export function earlyStopPoint(curve: readonly EvalPoint[]): EvalPoint {
  return curve.reduce((best, p) => (p.valLoss < best.valLoss ? p : best));
}

/**
 * Trains one variant of one round: from `init` with `mask` fixed, iterations startIteration..iterations,
 * evaluating every evalInterval. Deterministic for a given job and backend: data order, validation split
 * and dropout are seeded by the trial, init and mask come with the job.
 */
/**
 * Loss and accuracy of fixed weights (masked) on the trial's validation split or the test set, normalised as
 * the trial's runs are: what the analyses evaluate (interpolated weights, untrained masks).
 */
export async function evaluateWeights(
  spec: TrainJob['spec'],
  trial: number,
  data: LoadedDataset,
  weights: WeightSet,
  mask: TrainJob['mask'],
  on: 'validation' | 'test',
): Promise<Evaluation> {
  const plan = planNetwork(spec.network, data.shape, data.numClasses);
  const { split, lut } = trialData(spec, trial, data);
  const params = createParams(plan, applyMask(weights, mask), mask);
  try {
    return on === 'validation'
      ? evaluate(plan, params, data, 'train', split.valIdx, lut)
      : evaluate(plan, params, data, 'test', Uint32Array.from({ length: data.testLabels.length }, (_, i) => i), lut);
  } finally {
    disposeParams(params);
  }
}

export async function trainRun(job: TrainJob, data: LoadedDataset, hooks: TrainHooks = {}): Promise<TrainOutcome> {
  if (hooks.signal?.aborted) throw new AbortedError();
  const t = job.spec.training;
  const plan = planNetwork(job.spec.network, data.shape, data.numClasses);
  const { seed: trialSeed, split, lut } = trialData(job.spec, job.trial, data);
  const testIdx = Uint32Array.from({ length: data.testLabels.length }, (_, i) => i);
  // The instability analysis trains copies that differ only in SGD noise: their own data order and dropout.
  const noiseSeed = job.orderSeed ?? trialSeed;
  const order = exampleOrder(split.trainIdx, noiseSeed, t.batchSize);
  const exampleSize = data.shape[0] * data.shape[1] * data.shape[2];
  const numClasses = data.numClasses;
  const hasDropout = job.spec.network.dropout > 0;
  const finalLr = finalLearningRate(t);

  // A checkpoint past the capture point that lacks θk (written before checkpoints kept it) cannot finish the
  // run: θk is gone. Training again from the start gives exactly the uninterrupted run.
  const stale = hooks.restore && job.captureAt !== null && hooks.restore.iteration > job.captureAt && !hooks.restore.captured;
  const restore = stale ? undefined : hooks.restore;
  if (restore && (restore.trial !== job.trial || restore.variant !== job.variant || restore.round !== job.round)) {
    throw new Error('checkpoint belongs to another run');
  }
  const params = createParams(plan, applyMask(restore?.weights ?? job.init, job.mask), job.mask);
  const optimizer = createOptimizer(t, params);
  if (restore) optimizer.setState(restore.optimizer);
  const norms = gammas(params);
  const vars = [...params.kernels, ...params.biases, ...norms];
  const batchStats: BatchStats[] = [];
  const lossSum = tf.variable(tf.scalar(restore?.lossSum ?? 0), false);
  let lossSteps = restore?.lossSteps ?? 0;
  const trace = new LossTrace([traceStart(restore)]);
  const pixels = new Float32Array(t.batchSize * exampleSize);
  const oneHot = new Float32Array(t.batchSize * numClasses);
  const batch = new Uint32Array(t.batchSize);
  const curve: EvalPoint[] = restore ? restore.curve.map((p) => ({ ...p })) : [];
  // A run restored past the capture point carries θk in its checkpoint: the loop will not pass k again.
  let captured: WeightSet | null = restore?.captured ?? (job.captureAt === job.startIteration && !restore ? await readWeights(plan, params) : null);
  const began = performance.now();
  const bird = job.earlyBird ? earlyBirdTracker(plan.layers, job.spec.pruning, job.mask, job.earlyBird, restore?.earlyBird) : null;
  let stoppedAt: number | null = null;

  const report = (iteration: number) => {
    const last = curve.at(-1);
    hooks.onProgress?.({
      trial: job.trial,
      variant: job.variant,
      round: job.round,
      iteration,
      startIteration: job.startIteration,
      totalIterations: t.iterations,
      valAccuracy: last?.valAccuracy ?? null,
      testAccuracy: last?.testAccuracy ?? null,
      valLoss: last?.valLoss ?? null,
      evalIteration: last?.iteration ?? null,
    });
  };
  const evaluateAt = async (iteration: number) => {
    await trace.flush();
    const val = await evaluate(plan, params, data, 'train', split.valIdx, lut);
    const test = await evaluate(plan, params, data, 'test', testIdx, lut);
    const trainLoss = lossSteps > 0 ? (await lossSum.data())[0]! / lossSteps : null;
    lossSum.assign(tf.scalar(0));
    lossSteps = 0;
    curve.push({ iteration, trainLoss, valLoss: val.loss, valAccuracy: val.accuracy, testAccuracy: test.accuracy });
    bird?.observe(iteration, await readWeights(plan, params));
  };

  const checkpoint = async (iteration: number): Promise<Checkpoint> => {
    await trace.flush();
    return checkpointNow(iteration);
  };
  const checkpointNow = async (iteration: number): Promise<Checkpoint> => ({
    trial: job.trial,
    variant: job.variant,
    round: job.round,
    iteration,
    weights: await readWeights(plan, params),
    optimizer: await optimizer.getState(),
    curve: curve.map((p) => ({ ...p })),
    lossSum: (await lossSum.data())[0]!,
    lossSteps,
    captured,
    ...(trace.state() ? { lossTrace: trace.state() } : {}),
    ...(bird ? { earlyBird: bird.state() } : {}),
  });

  try {
    const first = restore?.iteration ?? job.startIteration;
    if (!restore) await evaluateAt(job.startIteration);
    report(first);
    let lastYield = performance.now();
    let lastCheckpoint = performance.now();
    for (let it = first; it < t.iterations; it++) {
      fillBatch(data, order(it, batch), pixels, oneHot, 'train', lut);
      if (t.augment) augmentBatch(pixels, t.batchSize, data.shape, noiseSeed, it, lut);
      tf.tidy(() => {
        const x = tf.tensor2d(pixels, [t.batchSize, exampleSize]);
        const y = tf.tensor2d(oneHot, [t.batchSize, numClasses]);
        const dropoutSeed = hasDropout ? deriveSeed(noiseSeed, job.variant, job.round, it) : null;
        const { value, grads } = tf.variableGrads(
          () => tf.losses.softmaxCrossEntropy(y, forward(plan, params, x, { dropoutSeed, batchStats })) as tf.Scalar,
          vars,
        );
        optimizer.step(
          params.kernels.map((k) => grads[k.name]!),
          params.biases.map((b) => grads[b.name]!),
          job.lrPolicy === 'final' ? finalLr : learningRateAt(t, it),
          norms.map((g) => grads[g.name]!),
        );
        updateRunningStats(params, batchStats);
        lossSum.assign(tf.add(lossSum, value));
        trace.push(value);
      });
      lossSteps += 1;
      if (trace.mustFlush) await trace.flush();
      const done = it + 1;
      if (job.captureAt === done) captured = await readWeights(plan, params);
      if (done % t.evalInterval === 0 || done === t.iterations) {
        await evaluateAt(done);
        if (bird?.shouldStop()) {
          stoppedAt = done;
          break;
        }
      }
      const every = hooks.checkpointEveryIterations;
      if (hooks.onCheckpoint && every && done % every === 0 && done < t.iterations) {
        hooks.onCheckpoint(await checkpoint(done));
        lastCheckpoint = performance.now();
      }
      if (performance.now() - lastYield > YIELD_MS) {
        await yieldToEventLoop();
        lastYield = performance.now();
        if (hooks.signal?.aborted) {
          // Pause, Ctrl-C and closing the window stop here: the work done so far is kept, not thrown away.
          if (hooks.onCheckpoint && done < t.iterations) hooks.onCheckpoint(await checkpoint(done));
          throw new AbortedError();
        }
        report(done);
        if (hooks.onCheckpoint && done < t.iterations && performance.now() - lastCheckpoint > (hooks.checkpointEveryMs ?? Infinity)) {
          hooks.onCheckpoint(await checkpoint(done));
          lastCheckpoint = performance.now();
        }
      }
    }
    const end = stoppedAt ?? t.iterations;
    report(end);
    const finalWeights = await readWeights(plan, params);
    await trace.flush();
    const lossRecord = trace.final();
    const result = { ...runResultOf(job, curve, end, began), ...(lossRecord ? { trainLossSteps: lossRecord } : {}) };
    return { result, finalWeights, captured, ...(bird ? { earlyBird: bird.series() } : {}) };
  } finally {
    optimizer.dispose();
    disposeParams(params);
    lossSum.dispose();
    trace.dispose();
  }
}
