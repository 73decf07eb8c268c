import * as tf from '@tensorflow/tfjs-core';
import type { ExperimentSpec } from '../../../shared/spec';
import type { LayerInfo } from '../../../shared/results';
import type { LoadedDataset } from '../data/types';
import { exampleOrder, fillBatch } from '../data/batches';
import { trialData } from '../trial-data';
import { batchNorm, type BatchStats, type NormParams } from '../batch-norm';
import { convolve, subsample } from '../ops';
import { walkSteps } from '../steps';
import type { NetworkPlan } from '../network';
import type { Mask, WeightSet } from '../types';
import type { AtInitContext, ScoreData } from './types';

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

/** The scores a method ranks by: as computed, or negated for score inversion (the lowest-scoring weights kept). */
export function rankedScores(ctx: Pick<AtInitContext, 'invert'>, scores: readonly Float32Array[]): Float32Array[] {
  return ctx.invert ? scores.map((s) => Float32Array.from(s, (v) => -v)) : [...scores];
}

/** The filter rotated 180° with its in and out channels swapped: what a convolution's input gradient convolves with. */
const rotated = (f: tf.Tensor4D) => tf.transpose(tf.reverse(f, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;

/** dx[b, p, q, c] = Σ dy[b, p − ky, q − kx, o] · f[ky, kx, c, o]: the 'full' correlation, a convValid of dy padded by k − 1. */
function convFull(dy: tf.Tensor4D, f: tf.Tensor4D): tf.Tensor4D {
  const [kh, kw] = f.shape;
  return convValid(tf.pad(dy, [[0, 0], [kh - 1, kh - 1], [kw - 1, kw - 1], [0, 0]]), rotated(f));
}

/**
 * A stride-1 'valid' convolution whose gradients are again convValid and filterGradient calls, whose gradients are
 * the same two ops: it can be differentiated any number of times on every backend with forward Conv2D kernels of
 * small filters only (GraSP's gradient of a gradient). tfjs has no gradient of Conv2DBackpropFilter on any backend,
 * and tfjs-wasm no Conv2DBackpropFilter kernel at all. The gradients are the engine's conv3x3's (ops.ts): the input
 * gradient is the full correlation of dy with the rotated filter, the filter gradient a valid convolution with batch
 * and channels swapped. The tape keeps each convolution's input and filter only, as training's does (an im2col
 * formulation kept nine shifted copies of every activation through both passes and ran tfjs-wasm out of memory on
 * ResNet-20 with 100 examples).
 */
export const convValid = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, f, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
  save([x, f]);
  return {
    value: tf.conv2d(x, f, 1, 'valid'),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, fs] = saved as [tf.Tensor4D, tf.Tensor4D];
      return [convFull(dy as tf.Tensor4D, fs), filterGradient(xs, dy as tf.Tensor4D)];
    },
  };
}) as (x: tf.Tensor4D, f: tf.Tensor4D) => tf.Tensor4D;

/**
 * df[ky, kx, c, o] = Σ over b, i, j of x[b, i + ky, j + kx, c] · dy[b, i, j, o]: one valid conv2d of the input
 * [c, H, W, b] with dy [h, w, b, o] as the filter (kh = H − h + 1). Its own gradients, given G = ∂/∂df, are small-filter
 * convolutions: ∂x = convFull(dy, G), ∂dy = convValid(x, G).
 */
const filterGradient = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, dy, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
  save([x, dy]);
  const image = tf.transpose(x, [3, 1, 2, 0]) as tf.Tensor4D;
  const filter = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D;
  return {
    value: tf.transpose(tf.conv2d(image, filter, 1, 'valid'), [1, 2, 0, 3]),
    gradFunc: (g: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, dys] = saved as [tf.Tensor4D, tf.Tensor4D];
      return [convFull(dys, g as tf.Tensor4D), convValid(xs, g as tf.Tensor4D)];
    },
  };
}) as (x: tf.Tensor4D, dy: tf.Tensor4D) => tf.Tensor4D;

/**
 * A 3x3 convolution with padding 1 (stride 1 'same', or stride 2 as the stride-1 one sampled at every other row and
 * column: the trainer's `subsample`, reshape and slice), differentiable any number of times on every backend.
 */
export function conv3x3TwiceDifferentiable(x: tf.Tensor4D, w: tf.Tensor4D, stride: 1 | 2 = 1): tf.Tensor4D {
  const z = convValid(tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]), w);
  return stride === 2 ? subsample(z) : z;
}

/**
 * f(...xs) as a constant of the tape: its value computed where no gradient is recorded (a customGrad's forward is
 * one opaque node), its gradient zero with respect to every input, and that zero (zeros) again differentiable. It
 * stands in for reading a value back and making a fresh tensor of it, which the WebGPU backend cannot do
 * synchronously inside a gradient; the values are the same bits (x + 0 = x where the zero gradient accumulates).
 */
export function constantOf(xs: tf.Tensor[], f: (...xs: tf.Tensor[]) => tf.Tensor): tf.Tensor {
  const shapes = xs.map((x) => x.shape);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: f(...(args.slice(0, xs.length) as tf.Tensor[])),
    gradFunc: () => shapes.map((s) => tf.zeros(s)),
  }));
  return op(...xs);
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
      // A constant mask (tfjs has no gradient of Equal): computed off the tape, no readback.
      const isMax = constantOf([crop, ys], (cr, yv) => tf.cast(tf.equal(cr, up(yv)), 'float32'));
      const g = tf.mul(up(dy), isMax);
      return tf.pad(g, [[0, 0], [0, xs.shape[1] - 2 * h], [0, xs.shape[2] - 2 * w], [0, 0]]);
    },
  };
}) as (x: tf.Tensor4D) => tf.Tensor4D;

/** One layer's batch-norm state as scoring reads it: γ, running mean, running variance. Never differentiated, never pruned. */
export interface NormTensors {
  gamma: tf.Tensor1D;
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

/** The network a score looks at: kernels in WeightSet's layout (dense [in, out], conv [k, k, in, out]), biases (β for a batch-norm layer), batch-norm state. */
export interface ScoreNetwork {
  kernels: readonly tf.Tensor[];
  biases: readonly tf.Tensor[];
  /** Per layer, its batch norm (null without); may be empty when no layer has batch norm. */
  norms: readonly (NormTensors | null)[];
}

export interface ScoreForwardOptions {
  /**
   * Present: batch norm normalises with the statistics of this batch (the network as it trains: SNIP, GraSP) and
   * pushes them here, kept; the caller disposes them once every gradient is taken. Absent: evaluation mode,
   * normalising with the running statistics (SynFlow). The same switch as the trainer's ForwardOptions.batchStats.
   */
  batchStats?: BatchStats[];
  /** Convs and pools that can be differentiated twice on every backend (GraSP). */
  secondOrder?: boolean;
  /**
   * SynFlow on non-negative weights: outside residual blocks, after each conv, join and dense step, the activation is
   * divided by a positive constant (its mean, found beforehand by `rescaleDivisors`; 1 where the mean was 0 or not
   * finite) and every later offset (bias, β, running mean) by the product P of those divisors. Positive scaling
   * commutes with ReLU, max-pooling, averaging, residual adds (both branches carry the same P: nothing is divided
   * inside a block) and batch norm's affine map in evaluation mode, so the logits are exactly the network's divided
   * by P, every gradient too, and the ranking of |θ ⊙ ∂R/∂θ| is unchanged, while R stays finite in float32 however
   * deep the network. One divisor per such point, in order.
   */
  rescale?: readonly number[];
}

/**
 * The forward pass as a generator: with `rescale`, at every renormalisation point (see ScoreForwardOptions.rescale)
 * it yields the activation and divides by the number it is sent back (1: leave it). Nothing else is live between
 * yields (no residual block is open there), which is what lets `rescaleDivisors` run it piecewise in tf.tidy.
 */
function* forwardSteps(plan: NetworkPlan, net: ScoreNetwork, x: tf.Tensor2D, options: { batchStats?: BatchStats[] | undefined; secondOrder?: boolean | undefined; rescale?: boolean | undefined }): Generator<tf.Tensor, tf.Tensor2D, number> {
  const { batchStats, secondOrder = false, rescale = false } = options;
  let scale = 1;
  const offset = (t: tf.Tensor): tf.Tensor => (scale === 1 ? t : tf.div(t, scale));
  const walk = walkSteps(plan, x, {
    conv(step, input, first) {
      const k = net.kernels[step.layer]!;
      const z = secondOrder && step.kernel === 3 ? conv3x3TwiceDifferentiable(input, k as tf.Tensor4D, step.stride) : convolve(step, input, k, first);
      const norm = net.norms[step.layer];
      let out: tf.Tensor4D;
      if (norm) {
        // batch-norm.ts's batchNorm reads γ, mean and variance only: plain tensors stand in for the trainer's variables.
        const state = { gamma: norm.gamma, mean: offset(norm.mean), variance: norm.variance } as unknown as NormParams;
        out = batchNorm(z, state, offset(net.biases[step.layer]!), step.layer, batchStats);
      } else out = tf.add(z, offset(net.biases[step.layer]!)) as tf.Tensor4D;
      return step.relu ? tf.relu(out) : out;
    },
    pool: (act) => (secondOrder ? maxPool2x2TwiceDifferentiable(act) : tf.maxPool(act, 2, 2, 'valid')),
    dense(step, act) {
      const z = tf.add(tf.matMul(act as tf.Tensor2D, net.kernels[step.layer] as tf.Tensor2D), offset(net.biases[step.layer]!));
      return step.relu ? tf.relu(z) : z;
    },
  });
  for (let r = walk.next(); ; ) {
    if (r.done) return r.value as tf.Tensor2D;
    const { step, act, inBlock } = r.value;
    let replaced: tf.Tensor | undefined;
    if (rescale && !inBlock && (step.op === 'conv' || step.op === 'join' || step.op === 'dense')) {
      const m = yield act;
      if (m !== 1) {
        replaced = tf.div(act, m);
        scale *= m;
      }
    }
    r = walk.next(replaced);
  }
}

/**
 * Logits [batch, classes] of the network, as plain differentiable tfjs ops: scores need gradients with respect to
 * the kernels (and GraSP a gradient of a gradient), with no dropout. Every step of the plan, as the trainer's
 * `forward` (src/main/engine/model.ts) runs it, with the trainer's own helpers where the order of derivatives
 * allows: `convolve` (3x3 through the engine's conv3x3 whose gradient is forward convolutions; stride 2 as the
 * stride-1 conv sampled by `subsample`; 1x1 as one matMul over pixels) and `batchNorm`. With `secondOrder`, 3x3
 * convs are conv3x3TwiceDifferentiable and pools maxPool2x2TwiceDifferentiable; 1x1 convs, subsample, batch norm
 * (mean, square, rsqrt, mul, add: tfjs computes each of their gradients from inputs, not saved outputs) and the
 * global average are differentiable twice as they are. Reads nothing back: it runs inside tf.grads on every backend.
 */
export function scoreForward(plan: NetworkPlan, net: ScoreNetwork, x: tf.Tensor2D, options: ScoreForwardOptions = {}): tf.Tensor2D {
  const { rescale, ...rest } = options;
  const steps = forwardSteps(plan, net, x, { ...rest, rescale: rescale !== undefined });
  let k = 0;
  for (let r = steps.next(); ; ) {
    if (r.done) {
      if (rescale && k !== rescale.length) throw new Error(`scoreForward: ${rescale.length} divisors for ${k} renormalisation points`);
      return r.value;
    }
    if (!rescale || k >= rescale.length) throw new Error(`scoreForward: more renormalisation points than the ${rescale?.length ?? 0} divisors given`);
    r = steps.next(rescale[k++]!);
  }
}

/**
 * The divisors of ScoreForwardOptions.rescale for this network and input: a forward pass (no gradient) that reads
 * each renormalised activation's mean back with an awaited data() (the WebGPU backend has no synchronous readback)
 * and divides by it, 1 where the mean is 0 or not finite (nothing to renormalise). The pass that differentiates
 * then runs the same ops with these constants, so its activations, and these means, are the same numbers.
 */
export async function rescaleDivisors(plan: NetworkPlan, net: ScoreNetwork, x: tf.Tensor2D): Promise<number[]> {
  const divisors: number[] = [];
  const steps = forwardSteps(plan, net, x, { rescale: true });
  // Each piece between two renormalisation points runs in tf.tidy; what the generator holds across a yield is the
  // activation it yielded (kept: tidy's result), disposed once the next piece has used it.
  const advance = (d?: number): { done: boolean; act: tf.Tensor } => {
    let done = false;
    const act = tf.tidy(() => {
      const r = d === undefined ? steps.next() : steps.next(d);
      done = r.done === true;
      return r.value;
    });
    return { done, act };
  };
  let held: tf.Tensor | null = null;
  try {
    for (let r = advance(); ; r = advance(divisors[divisors.length - 1])) {
      if (held && held !== r.act) held.dispose();
      held = r.act;
      if (r.done) break;
      const mean = tf.tidy(() => tf.mean(r.act));
      const m = (await mean.data())[0]!;
      mean.dispose();
      divisors.push(m > 0 && Number.isFinite(m) ? m : 1);
    }
  } finally {
    if (held && !held.isDisposed) held.dispose();
  }
  return divisors;
}

/** Reads tensors back with awaited data() (every backend, WebGPU included), as copies, and disposes them. */
export async function readAll(tensors: readonly tf.Tensor[]): Promise<Float32Array[]> {
  try {
    const values = await Promise.all(tensors.map((t) => t.data()));
    // A copy: the cpu backend hands out its own backing array.
    return values.map((v) => (v as Float32Array).slice());
  } finally {
    tf.dispose(tensors as tf.Tensor[]);
  }
}

/**
 * Per layer, its batch-norm state from the WeightSet (γ, running mean, running variance), `map` applied to every
 * entry (SynFlow: Math.abs); null for a layer without batch norm.
 */
export function normTensors(layers: readonly LayerInfo[], weights: WeightSet, map?: (v: number) => number): (NormTensors | null)[] {
  if (layers.some((l) => l.batchNorm) && !weights.norms) throw new Error('these weights carry no batch-norm state, and the network has batch norm');
  return layers.map((l, i) => {
    if (!l.batchNorm) return null;
    const n = map ? Float32Array.from(weights.norms![i]!, map) : weights.norms![i]!;
    const c = n.length / 3;
    return { gamma: tf.tensor1d(n.subarray(0, c)), mean: tf.tensor1d(n.subarray(c, 2 * c)), variance: tf.tensor1d(n.subarray(2 * c)) };
  });
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
  const { seed, split, lut } = trialData(spec, trial, data);
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

/** `compute()` once per trial and key when the context carries a memo; a failed scoring is not remembered. */
export function memoScores(ctx: AtInitContext, key: string, compute: () => Promise<Float32Array[]>): Promise<Float32Array[]> {
  if (!ctx.memo) return compute();
  let p = ctx.memo.get(key);
  if (!p) {
    p = compute();
    ctx.memo.set(key, p);
    p.catch(() => ctx.memo?.delete(key));
  }
  return p;
}
