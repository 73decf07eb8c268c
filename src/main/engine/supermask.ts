import type { ExperimentSpec, Variant } from '../../shared/spec';
import type { EvalPoint, RunResult } from '../../shared/results';
import type { LoadedDataset } from './data/types';
import type { NetworkPlan } from './network';
import { evaluateWeights } from './trainer';
import type { ExperimentSink, Mask, WeightSet } from './types';
import { density, normsOf } from './weights';
import { supermaskWeightsOf } from '../../shared/variants';

/**
 * The signed constant of Zhou et al. 2019 ("Deconstructing lottery tickets: zeros, signs, and the supermask",
 * arXiv 1905.01067, section 4): every kept weight becomes α_l · sign(θ), α_l the standard deviation of layer l's
 * weights in that same θ (θ0, or θk under late rewinding); biases and batch norm as in θ.
 */
export function signedConstant(init: WeightSet): WeightSet {
  return {
    kernels: init.kernels.map((k) => {
      let sum = 0;
      let sq = 0;
      for (const v of k) {
        sum += v;
        sq += v * v;
      }
      const mean = sum / k.length;
      const std = Math.sqrt(Math.max(0, sq / k.length - mean * mean));
      return k.map((v) => (v > 0 ? std : v < 0 ? -std : 0));
    }),
    biases: init.biases.map((b) => b.slice()),
    ...normsOf(init),
  };
}

/**
 * Validation loss and accuracy (the trial's held-out split) and test accuracy of mask ⊙ weights, untrained:
 * the trainer's own evaluation, with the split and normalisation training uses for this trial.
 */
export async function evaluateUntrained(spec: ExperimentSpec, data: LoadedDataset, trial: number, weights: WeightSet, mask: Mask): Promise<EvalPoint> {
  const val = await evaluateWeights(spec, trial, data, weights, mask, 'validation');
  const test = await evaluateWeights(spec, trial, data, weights, mask, 'test');
  return { iteration: 0, trainLoss: null, valLoss: val.loss, valAccuracy: val.accuracy, testAccuracy: test.accuracy };
}

/** The stored result of an untrained evaluation: a run of 0 iterations whose only point is iteration 0. */
export async function supermaskRun(spec: ExperimentSpec, data: LoadedDataset, trial: number, round: number, variant: Extract<Variant, 'supermask' | 'supermask-signed'>, init: WeightSet, mask: Mask): Promise<RunResult> {
  const began = performance.now();
  const weights = variant === 'supermask' ? init : signedConstant(init);
  const p = await evaluateUntrained(spec, data, trial, weights, mask);
  const d = density(mask);
  return {
    trial,
    variant,
    round,
    weightsRemaining: d.overall,
    layerDensity: d.perLayer,
    earlyStopIteration: 0,
    valLoss: p.valLoss,
    valAccuracy: p.valAccuracy,
    testAccuracy: p.testAccuracy,
    finalValAccuracy: p.valAccuracy,
    finalTestAccuracy: p.testAccuracy,
    iterations: 0,
    durationMs: Math.round(performance.now() - began),
    curve: [p],
  };
}

export interface SupermaskContext {
  spec: ExperimentSpec;
  plan: NetworkPlan;
  data: LoadedDataset;
  sink: ExperimentSink;
  /** Every stored mask, key `${trial}:${round}`. */
  masks: Map<string, Mask>;
  /** What is stored already: those evaluations are skipped (resume). */
  done: readonly RunResult[];
  /** θ0 of a trial. */
  initOf: (trial: number) => WeightSet;
  /** θk of a trial, the weights its tickets rewind to (θ0 when k = 0). */
  rewindOf: (trial: number) => WeightSet;
  trials?: readonly number[];
  signal?: AbortSignal;
  onRun?: (result: RunResult) => void;
}

/**
 * For every mask of the experiment, mask ⊙ θ and the signed constant of θ, untrained (Zhou et al. 2019); θ is θ0
 * or θk as the spec's supermaskWeights says (absent: θ0, what specs stored before the choice computed).
 */
export async function runSupermasks(ctx: SupermaskContext): Promise<void> {
  const weightsOf = supermaskWeightsOf(ctx.spec).kind === 'rewind' ? ctx.rewindOf : ctx.initOf;
  const want = (trial: number) => !ctx.trials || ctx.trials.includes(trial);
  const entries = [...ctx.masks.entries()]
    .map(([k, mask]) => {
      const [trial, round] = k.split(':').map(Number) as [number, number];
      return { trial, round, mask };
    })
    .filter((e) => want(e.trial) && e.round < ctx.spec.pruning.rounds)
    .sort((a, b) => a.trial - b.trial || a.round - b.round);
  const inits = new Map<number, WeightSet>();
  for (const { trial, round, mask } of entries) {
    for (const variant of ['supermask', 'supermask-signed'] as const) {
      if (ctx.signal?.aborted) return;
      if (ctx.done.some((r) => r.trial === trial && r.round === round && r.variant === variant)) continue;
      let init = inits.get(trial);
      if (!init) inits.set(trial, (init = weightsOf(trial)));
      const result = await supermaskRun(ctx.spec, ctx.data, trial, round, variant, init, mask);
      ctx.sink.saveRun(result);
      ctx.onRun?.(result);
    }
  }
}
