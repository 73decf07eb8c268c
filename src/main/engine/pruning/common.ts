import * as tf from '@tensorflow/tfjs-core';
import type { ExperimentSpec } from '../../../shared/spec';
import type { LayerInfo } from '../../../shared/results';
import type { LoadedDataset } from '../data/types';
import { exampleOrder, fillBatch, splitNormalizationTable, normalizationTable, splitTrainValidation } from '../data/batches';
import { conv3x3 } from '../model';
import type { NetworkPlan } from '../network';
import { trialSeed as seedOfTrial } from '../random';
import type { Mask, WeightSet } from '../types';
import type { ScoreData } from './types';

/** The layers a pruning-at-init method prunes: those whose kind has a non-zero rate, as IMP's global strategy. */
export function prunablePool(layers: readonly LayerInfo[], spec: Pick<ExperimentSpec, 'pruning'>): number[] {
  return layers.map((l, i) => (spec.pruning.rates[l.kind] > 0 ? i : -1)).filter((i) => i >= 0);
}

/** round(n · density) of the pool's weights: the exact count every method keeps. */
export function keepCount(layers: readonly LayerInfo[], pool: readonly number[], density: number): number {
  return Math.round(pool.reduce((a, i) => a + layers[i]!.weights, 0) * density);
}

/**
 * Keeps the `keep` highest scores among the survivors of `current` in the pool's layers taken together (global
 * scoring, as SNIP, GraSP and SynFlow do); layers outside the pool are copied. Ties at the threshold go to the
 * earlier layer, then the lower index, so the count is exact and the mask a function of the scores.
 */
export function keepTopScores(scores: readonly Float32Array[], current: Mask, pool: readonly number[], keep: number): Mask {
  const out: Uint8Array[] = current.map((m) => m.slice());
  let survivors = 0;
  for (const i of pool) {
    const m = current[i]!;
    const s = scores[i]!;
    for (let j = 0; j < m.length; j++) {
      if (!m[j]) continue;
      if (!Number.isFinite(s[j]!)) throw new Error(`pruning scores of layer ${i} are not finite (${s[j]}): the score overflowed or the network diverged`);
      survivors++;
    }
  }
  if (keep >= survivors) return out;
  const values = new Float32Array(survivors);
  let n = 0;
  for (const i of pool) {
    const m = current[i]!;
    const s = scores[i]!;
    for (let j = 0; j < m.length; j++) if (m[j]) values[n++] = s[j]!;
  }
  values.sort();
  const threshold = keep > 0 ? values[survivors - keep]! : Infinity;
  let above = 0;
  for (let k = survivors - keep; k < survivors; k++) if (values[k]! > threshold) above++;
  let tiesLeft = keep - above;
  for (const i of pool) {
    const m = current[i]!;
    const s = scores[i]!;
    const o = out[i]!;
    for (let j = 0; j < m.length; j++) {
      if (!m[j]) continue;
      const v = s[j]!;
      if (v > threshold) o[j] = 1;
      else if (v === threshold && tiesLeft > 0) {
        o[j] = 1;
        tiesLeft--;
      } else o[j] = 0;
    }
  }
  return out;
}

/**
 * Logits [batch, classes] of the network with the given kernels ([in, out] for dense, [3, 3, in, out] for
 * conv, as WeightSet lays them out) and biases, as plain differentiable tfjs ops: scores need gradients with
 * respect to the weights (and GraSP a gradient of a gradient), with no dropout. Conv layers use the engine's
 * conv3x3, whose gradient is built from forward convolutions (tfjs-wasm has no Conv2DBackpropFilter); with
 * `secondOrder`, convs and pools that can be differentiated twice on every backend (GraSP).
 */
/**
 * A 3x3 'same' convolution as im2col: nine shifted slices side by side, one matMul. Built only from slices,
 * concatenation and matMul, its gradient can be differentiated again on every backend (GraSP); tfjs-wasm has no
 * Conv2DBackpropFilter, which the second derivative of conv2d needs.
 */
export function conv3x3Im2col(x: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D {
  const [b, h, wd, c] = x.shape;
  const f = w.shape[3];
  const padded = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]);
  const shifts: tf.Tensor[] = [];
  for (let dy = 0; dy < 3; dy++) for (let dx = 0; dx < 3; dx++) shifts.push(tf.slice(padded, [0, dy, dx, 0], [b, h, wd, c]));
  const cols = tf.reshape(tf.concat(shifts, 3), [b * h * wd, 9 * c]);
  return tf.reshape(tf.matMul(cols, tf.reshape(w, [9 * c, f])), [b, h, wd, f]) as tf.Tensor4D;
}

/**
 * 2x2 max-pooling whose gradient is a product with a constant 0/1 mask of the window maxima, so it can be
 * differentiated again (tfjs has no gradient for MaxPoolGrad). Ties send the gradient to every maximum; at a
 * ReLU output a tie is almost always a window of zeros, whose upstream gradient is zero anyway.
 */
export const maxPool2x2TwiceDifferentiable = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, save] = args as [tf.Tensor4D, tf.GradSaveFunc];
  const y = tf.maxPool(x, 2, 2, 'valid');
  save([x, y]);
  return {
    value: y,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ys] = saved as [tf.Tensor4D, tf.Tensor4D];
      const [b, h, w, c] = ys.shape;
      // Nearest-neighbour 2x upsampling from concat and reshape only (rank 4: tfjs differentiates tile only up to rank 5).
      const up = (t: tf.Tensor) => {
        const wide = tf.reshape(tf.concat([t, t], 3), [b, h, 2 * w, c]);
        return tf.reshape(tf.concat([wide, wide], 2), [b, 2 * h, 2 * w, c]);
      };
      const crop = tf.slice(xs, [0, 0, 0, 0], [b, 2 * h, 2 * w, c]);
      const isMax = tf.tensor(tf.cast(tf.equal(crop, up(ys)), 'float32').dataSync(), [b, 2 * h, 2 * w, c]);
      const g = tf.mul(up(dy), isMax);
      return tf.pad(g, [[0, 0], [0, xs.shape[1] - 2 * h], [0, xs.shape[2] - 2 * w], [0, 0]]);
    },
  };
}) as (x: tf.Tensor4D) => tf.Tensor4D;

export function scoreForward(plan: NetworkPlan, kernels: readonly tf.Tensor[], biases: readonly tf.Tensor[], x: tf.Tensor2D, linear = false, secondOrder = false): tf.Tensor2D {
  const [h, w, c] = plan.inputShape;
  const isConv = plan.steps[0]?.op === 'conv' || plan.steps[0]?.op === 'pool';
  let act: tf.Tensor = isConv ? tf.reshape(x, [-1, h, w, c]) : x;
  let first = true;
  for (const step of plan.steps) {
    switch (step.op) {
      case 'conv': {
        const w = kernels[step.layer] as tf.Tensor4D;
        const z = tf.add(secondOrder ? conv3x3Im2col(act as tf.Tensor4D, w) : conv3x3(act as tf.Tensor4D, w, !first), biases[step.layer]!);
        act = linear ? z : tf.relu(z);
        first = false;
        break;
      }
      case 'pool':
        act = secondOrder ? maxPool2x2TwiceDifferentiable(act as tf.Tensor4D) : tf.maxPool(act as tf.Tensor4D, 2, 2, 'valid');
        break;
      case 'flatten':
        act = tf.reshape(act, [act.shape[0]!, -1]);
        break;
      case 'dense': {
        const z = tf.add(tf.matMul(act as tf.Tensor2D, kernels[step.layer] as tf.Tensor2D), biases[step.layer]!);
        first = false;
        act = step.relu && !linear ? tf.relu(z) : z;
        break;
      }
    }
  }
  return act as tf.Tensor2D;
}

/** A WeightSet's kernels as tensors shaped like the layers (dense [in, out], conv [3, 3, in, out]). */
export function kernelTensors(layers: readonly LayerInfo[], kernels: readonly Float32Array[]): tf.Tensor[] {
  return layers.map((l, i) => tf.tensor(kernels[i]!, l.shape));
}

export function biasTensors(weights: WeightSet): tf.Tensor[] {
  return weights.biases.map((b) => tf.tensor1d(b));
}

/** Masked copy of θ's kernels: pruned entries are zero, as in the network that would train. */
export function maskedKernels(weights: WeightSet, mask: Mask): Float32Array[] {
  return weights.kernels.map((k, i) => {
    const m = mask[i]!;
    const out = k.slice();
    for (let j = 0; j < out.length; j++) if (!m[j]) out[j] = 0;
    return out;
  });
}

/** Examples per class that SNIP and GraSP score on (GraSP's paper: ten per class; SNIP's one batch of 100 on MNIST). */
export const SCORE_EXAMPLES_PER_CLASS = 10;

/**
 * The scoring sample of a trial: the first `perClass` examples of each class in the trial's own training order
 * (the held-out validation split excluded), normalised exactly as training normalises them. Deterministic.
 */
export function scoreData(spec: ExperimentSpec, data: LoadedDataset, trial: number, perClass = SCORE_EXAMPLES_PER_CLASS): ScoreData {
  const t = spec.training;
  const seed = seedOfTrial(spec, trial);
  const split = splitTrainValidation(data.trainLabels.length, t.validationSize, seed);
  const lut = (spec.engineVersion ?? 1) >= 2 ? splitNormalizationTable(data, split.trainIdx, `${seed}:${t.validationSize}`) : normalizationTable(data);
  const order = exampleOrder(split.trainIdx, seed, t.batchSize);
  const counts = new Array<number>(data.numClasses).fill(0);
  const present = new Set<number>();
  for (const i of split.trainIdx) present.add(data.trainLabels[i]!);
  const want = present.size * perClass;
  const picked: number[] = [];
  const epochBatches = Math.ceil(split.trainIdx.length / t.batchSize);
  for (let it = 0; picked.length < want && it < epochBatches + 1; it++) {
    for (const idx of order(it)) {
      const label = data.trainLabels[idx]!;
      if (counts[label]! < perClass && !picked.includes(idx)) {
        counts[label]!++;
        picked.push(idx);
      }
    }
  }
  const size = data.shape[0] * data.shape[1] * data.shape[2];
  const pixels = new Float32Array(picked.length * size);
  const oneHot = new Float32Array(picked.length * data.numClasses);
  fillBatch(data, picked, pixels, oneHot, 'train', lut);
  return { pixels, oneHot, count: picked.length };
}
