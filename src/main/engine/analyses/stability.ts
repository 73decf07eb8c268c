import { errorBarrier, interpolationAlphas, type StabilityPointResult } from '../../../shared/analyses/stability';
import type { ExperimentSpec } from '../../../shared/spec';
import type { LoadedDataset } from '../data/types';
import type { Executor } from '../executor';
import { planNetwork } from '../network';
import { reestimateNorms } from './norm-stats';
import { deriveSeed, trialSeed } from '../random';
import { AbortedError, evaluateWeights } from '../trainer';
import type { Mask, TrainJob, TrainProgress, WeightSet } from '../types';
import { denseMask, density, initialWeights } from '../weights';

/** Where a pair of copies starts: weights, mask and iteration. `init` null: the dense network's θk, trained here. */
export interface StabilityStart {
  label: string;
  startIteration: number;
  mask: Mask;
  init: WeightSet | null;
}

export interface StabilityContext {
  spec: ExperimentSpec;
  data: LoadedDataset;
  executor: Executor;
  /** The starting points of a trial, in the experiment's point order. */
  starts(trial: number): StabilityStart[];
  /** Points already stored (resume): `${trial}:${point}`. */
  done: ReadonlySet<string>;
  save(result: StabilityPointResult): void;
  signal?: AbortSignal;
  onProgress?: (progress: TrainProgress, fractionDone: number) => void;
}

/** The dense starts: θ0 for k = 0, else the weights a dense run of the trial has after k iterations. */
export function denseStarts(spec: ExperimentSpec, data: LoadedDataset): (trial: number) => StabilityStart[] {
  const { layers } = planNetwork(spec.network, data.shape, data.numClasses);
  const points = spec.stability?.rewindPoints ?? [0];
  return () => points.map((k) => ({ label: `k = ${k}`, startIteration: k, mask: denseMask(layers), init: null }));
}

/** Elementwise (1 − α)·a + α·b; a weight pruned in both stays exactly 0. */
export function interpolateWeights(a: WeightSet, b: WeightSet, alpha: number): WeightSet {
  const mix = (x: Float32Array, y: Float32Array) => {
    const out = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = alpha === 0 ? x[i]! : alpha === 1 ? y[i]! : (1 - alpha) * x[i]! + alpha * y[i]!;
    return out;
  };
  // Batch norm's γ and running statistics are interpolated like the weights; pathErrors may re-estimate the statistics.
  const norms = a.norms && b.norms ? { norms: a.norms.map((n, i) => mix(n, b.norms![i]!)) } : {};
  return { kernels: a.kernels.map((k, i) => mix(k, b.kernels[i]!)), biases: a.biases.map((k, i) => mix(k, b.biases[i]!)), ...norms };
}

/**
 * Test error along the path; the ends are the two networks themselves, bit for bit, unless batch norm's
 * statistics are re-estimated: then every network on the path, ends included, gets its own (norm-stats.ts).
 */
export async function pathErrors(spec: ExperimentSpec, trial: number, data: LoadedDataset, a: WeightSet, b: WeightSet, mask: Mask, alphas: readonly number[]): Promise<number[]> {
  const errors: number[] = [];
  for (const alpha of alphas) {
    const mixed = interpolateWeights(a, b, alpha);
    const w = spec.stability?.batchNormStats === 'reestimate' ? await reestimateNorms(spec, trial, data, mixed, mask) : mixed;
    const e = await evaluateWeights(spec, trial, data, w, mask, 'test');
    errors.push(1 - e.accuracy);
  }
  return errors;
}

/**
 * For every trial and starting point: the parent run to k when the start is the dense network's θk, then two
 * copies trained from there to the end with different data orders (same split, same everything else), then
 * the test error along the line between them. Each finished point is saved at once; a resume skips them.
 */
export async function runStability(ctx: StabilityContext): Promise<void> {
  const { spec, data, executor } = ctx;
  const { layers } = planNetwork(spec.network, data.shape, data.numClasses);
  const stability = spec.stability;
  if (!stability) throw new Error('runStability: the spec has no stability section');
  const alphas = interpolationAlphas(stability.interpolationPoints);
  const T = spec.training.iterations;
  const trials = Array.from({ length: spec.trials }, (_, t) => t);
  const plan = trials.map((t) => ctx.starts(t));
  // Progress: copies' iterations over all points still to do (parent runs and evaluation are not counted).
  let total = 0;
  trials.forEach((t) => plan[t]!.forEach((s, p) => (total += ctx.done.has(`${t}:${p}`) ? 0 : 2 * (T - s.startIteration))));
  let finished = 0;
  const inFlight = new Map<string, number>();

  const inner = new AbortController();
  const stop = () => inner.abort();
  ctx.signal?.addEventListener('abort', stop, { once: true });
  if (ctx.signal?.aborted) inner.abort();

  const train = (job: TrainJob, key: string) =>
    executor.run(job, job.round * 4, {
      signal: inner.signal,
      onProgress: (p) => {
        inFlight.set(key, p.iteration - p.startIteration);
        const now = [...inFlight.values()].reduce((a, b) => a + b, finished);
        ctx.onProgress?.(p, total > 0 ? Math.min(1, now / total) : 1);
      },
    });

  const runPoint = async (trial: number, point: number, start: StabilityStart): Promise<void> => {
    const began = performance.now();
    const seed = trialSeed(spec, trial);
    let init = start.init;
    if (!init) {
      const theta0 = initialWeights(layers, seed, spec.network);
      if (start.startIteration === 0) init = theta0;
      else {
        // The parent: the trial's own dense run, stopped at k (the schedule is a function of the iteration).
        const parentSpec = { ...spec, training: { ...spec.training, iterations: start.startIteration, evalInterval: start.startIteration } };
        const parent = await train({ spec: parentSpec, trial, variant: 'ticket', round: point, init: theta0, mask: start.mask, startIteration: 0, captureAt: null }, `${trial}:${point}:parent`);
        init = parent.finalWeights;
      }
    }
    const copy = (c: 0 | 1) =>
      train(
        { spec, trial, variant: 'ticket', round: point, init: init!, mask: start.mask, startIteration: start.startIteration, captureAt: null, orderSeed: deriveSeed(seed, 'stability-copy', point, c) },
        `${trial}:${point}:${c}`,
      );
    const [a, b] = await Promise.all([copy(0), copy(1)]);
    finished += 2 * (T - start.startIteration);
    inFlight.delete(`${trial}:${point}:0`);
    inFlight.delete(`${trial}:${point}:1`);
    if (inner.signal.aborted) throw new AbortedError();
    const testError = await pathErrors(spec, trial, data, a.finalWeights, b.finalWeights, start.mask, alphas);
    ctx.save({
      trial,
      point,
      label: start.label,
      startIteration: start.startIteration,
      weightsRemaining: density(start.mask).overall,
      alphas,
      testError,
      barrier: errorBarrier(testError),
      endpoints: [a.result.finalTestAccuracy, b.result.finalTestAccuracy],
      durationMs: Math.round(performance.now() - began),
      // Kept so the window can show how each copy trained, as it shows any run's curve.
      curves: [a.result.curve, b.result.curve],
    });
  };

  try {
    const jobs: Promise<void>[] = [];
    for (const t of trials) {
      plan[t]!.forEach((start, p) => {
        if (!ctx.done.has(`${t}:${p}`)) jobs.push(runPoint(t, p, start).catch((e) => (inner.abort(), Promise.reject(e))));
      });
    }
    const settled = await Promise.allSettled(jobs);
    const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected' && !(s.reason instanceof AbortedError));
    if (failure) throw failure.reason;
    if (inner.signal.aborted) throw new AbortedError();
  } finally {
    ctx.signal?.removeEventListener('abort', stop);
  }
}
