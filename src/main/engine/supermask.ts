import * as tf from '@tensorflow/tfjs-core';
import type { ExperimentSpec, Variant } from '../../shared/spec';
import type { EvalPoint, RunResult } from '../../shared/results';
import type { LoadedDataset } from './data/types';
import { fillBatch, normalizationTable, splitNormalizationTable, splitTrainValidation } from './data/batches';
import { createParams, disposeParams, forward } from './model';
import type { NetworkPlan } from './network';
import { trialSeed as seedOfTrial } from './random';
import type { ExperimentSink, Mask, WeightSet } from './types';
import { applyMask, density } from './weights';

const EVAL_CHUNK = 1000;

/**
 * The signed constant of Zhou et al. 2019 ("Deconstructing lottery tickets: zeros, signs, and the supermask",
 * arXiv 1905.01067, section 4): every kept weight becomes α_l · sign(θ0), α_l the standard deviation of layer l's
 * initial weights; biases as at init.
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
  };
}

/**
 * Validation loss and accuracy (the trial's held-out split) and test accuracy of mask ⊙ weights, untrained:
 * the same split and normalisation as training uses for this trial.
 */
export function evaluateUntrained(spec: ExperimentSpec, plan: NetworkPlan, data: LoadedDataset, trial: number, weights: WeightSet, mask: Mask): EvalPoint {
  const t = spec.training;
  const seed = seedOfTrial(spec, trial);
  const split = splitTrainValidation(data.trainLabels.length, t.validationSize, seed);
  const lut = (spec.engineVersion ?? 1) >= 2 ? splitNormalizationTable(data, split.trainIdx, `${seed}:${t.validationSize}`) : normalizationTable(data);
  const params = createParams(plan, applyMask(weights, mask), mask);
  const size = data.shape[0] * data.shape[1] * data.shape[2];
  const classes = plan.layers.at(-1)!.shape[1]!;
  const run = (which: 'train' | 'test', indices: Uint32Array) => {
    const pixels = new Float32Array(EVAL_CHUNK * size);
    const labels = new Int32Array(EVAL_CHUNK);
    let loss = 0;
    let correct = 0;
    for (let from = 0; from < indices.length; from += EVAL_CHUNK) {
      const chunk = indices.subarray(from, Math.min(from + EVAL_CHUNK, indices.length));
      const n = chunk.length;
      fillBatch(data, chunk, pixels, labels, which, lut);
      const [l, c] = tf.tidy(() => {
        const x = tf.tensor2d(pixels.subarray(0, n * size), [n, size]);
        const y = tf.tensor1d(labels.subarray(0, n), 'int32');
        const logits = forward(plan, params, x, null);
        const ce = tf.losses.softmaxCrossEntropy(tf.oneHot(y, classes), logits, undefined, undefined, tf.Reduction.SUM);
        const hits = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'float32'));
        return [ce.dataSync()[0]!, hits.dataSync()[0]!];
      });
      loss += l;
      correct += c;
    }
    return { loss: loss / indices.length, accuracy: correct / indices.length };
  };
  try {
    const val = run('train', split.valIdx);
    const test = run('test', Uint32Array.from({ length: data.testLabels.length }, (_, i) => i));
    return { iteration: 0, trainLoss: null, valLoss: val.loss, valAccuracy: val.accuracy, testAccuracy: test.accuracy };
  } finally {
    disposeParams(params);
  }
}

/** The stored result of an untrained evaluation: a run of 0 iterations whose only point is iteration 0. */
export function supermaskRun(spec: ExperimentSpec, plan: NetworkPlan, data: LoadedDataset, trial: number, round: number, variant: Extract<Variant, 'supermask' | 'supermask-signed'>, init: WeightSet, mask: Mask): RunResult {
  const began = performance.now();
  const weights = variant === 'supermask' ? init : signedConstant(init);
  const p = evaluateUntrained(spec, plan, data, trial, weights, mask);
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
  /** θ0 of a trial: the weights every mask of the experiment applies to. */
  initOf: (trial: number) => WeightSet;
  trials?: readonly number[];
  signal?: AbortSignal;
  onRun?: (result: RunResult) => void;
}

/** For every mask of the experiment, mask ⊙ θ0 and the signed constant, untrained (Zhou et al. 2019). */
export function runSupermasks(ctx: SupermaskContext): void {
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
      if (!init) inits.set(trial, (init = ctx.initOf(trial)));
      const result = supermaskRun(ctx.spec, ctx.plan, ctx.data, trial, round, variant, init, mask);
      ctx.sink.saveRun(result);
      ctx.onRun?.(result);
    }
  }
}
