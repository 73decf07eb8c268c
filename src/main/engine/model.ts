import * as tf from '@tensorflow/tfjs-core';
import type { LayerInfo } from '../../shared/results';
import { BN_EPSILON, BN_MOMENTUM, batchNormTraining } from './batch-norm';
import type { NetworkPlan, Step } from './network';
import type { Mask, WeightSet } from './types';

/**
 * Trainable state of one run on the active backend. Dense kernels live transposed, as W^T [out, in], with
 * activations as [features, batch]: then every matMul of a training step has the big kernel as its left
 * operand and no transposed operand, which keeps wasm on XNNPACK's fast path without re-packing the kernel
 * after each update (bench/FINDINGS.md: 1.3x over the row-major layout). WeightSet, masks and checkpoints
 * outside this file stay in the usual [in, out] layout.
 */
export interface Params {
  kernels: tf.Variable[];
  biases: tf.Variable[];
  masks: tf.Tensor[];
  /** Per layer, its batch norm (null without): γ trains with the weights; the running statistics do not. */
  norms: (NormParams | null)[];
}

export interface NormParams {
  gamma: tf.Variable;
  mean: tf.Variable;
  variance: tf.Variable;
}

export { BN_EPSILON, BN_MOMENTUM } from './batch-norm';

/** [rows, cols] row-major -> [cols, rows] row-major. */
function transposed(a: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c]!;
  return out;
}

function storedShape(l: LayerInfo): number[] {
  return l.kind === 'conv' ? l.shape : [l.shape[1]!, l.shape[0]!];
}

function toStored(l: LayerInfo, a: Float32Array | Uint8Array): Float32Array {
  return l.kind === 'conv' ? Float32Array.from(a) : transposed(a, l.shape[0]!, l.shape[1]!);
}

export function createParams(plan: NetworkPlan, weights: WeightSet, mask: Mask): Params {
  if (plan.layers.some((l) => l.batchNorm) && !weights.norms) throw new Error('these weights carry no batch-norm state, and the network has batch norm');
  return {
    kernels: plan.layers.map((l, i) => tf.variable(tf.tensor(toStored(l, weights.kernels[i]!), storedShape(l)), true)),
    biases: plan.layers.map((l, i) => tf.variable(tf.tensor1d(weights.biases[i]!), true)),
    masks: plan.layers.map((l, i) => tf.tensor(toStored(l, mask[i]!), storedShape(l))),
    norms: plan.layers.map((l, i) => {
      if (!l.batchNorm) return null;
      const n = weights.norms![i]!;
      const c = n.length / 3;
      return {
        gamma: tf.variable(tf.tensor1d(n.subarray(0, c)), true),
        mean: tf.variable(tf.tensor1d(n.subarray(c, 2 * c)), false),
        variance: tf.variable(tf.tensor1d(n.subarray(2 * c)), false),
      };
    }),
  };
}

/** The γ variables, in layer order: what trains besides kernels and biases. */
export const gammas = (params: Params): tf.Variable[] => params.norms.flatMap((n) => (n ? [n.gamma] : []));

/** Reads the weights back to plain arrays, asynchronously (WebGPU has no synchronous readback in Node). */
export async function readWeights(plan: NetworkPlan, params: Params): Promise<WeightSet> {
  const [kernels, biases, norms] = await Promise.all([
    Promise.all(params.kernels.map((k) => k.data())),
    Promise.all(params.biases.map((b) => b.data())),
    Promise.all(
      params.norms.map(async (n) => {
        if (!n) return new Float32Array(0);
        const parts = (await Promise.all([n.gamma.data(), n.mean.data(), n.variance.data()])) as Float32Array[];
        const out = new Float32Array(3 * parts[0]!.length);
        parts.forEach((p, j) => out.set(p, j * p.length));
        return out;
      }),
    ),
  ]);
  return {
    kernels: kernels.map((data, i) => {
      const l = plan.layers[i]!;
      return l.kind === 'conv' ? Float32Array.from(data as Float32Array) : transposed(data as Float32Array, l.shape[1]!, l.shape[0]!);
    }),
    biases: biases.map((data) => Float32Array.from(data as Float32Array)),
    ...(params.norms.some((n) => n) ? { norms } : {}),
  };
}

export function disposeParams(params: Params): void {
  tf.dispose([...params.kernels, ...params.biases, ...params.masks, ...params.norms.flatMap((n) => (n ? [n.gamma, n.mean, n.variance] : []))]);
}

/**
 * W^T @ a^T (feature-major dense layer) with a hand-written gradient built only from non-transposed matMuls:
 * wasm's fast matMul path takes no transposed operand and falls back to a naive loop 10x slower, which is
 * what autodiff's transposeA/transposeB products hit. Explicit transposes are cheap. The input gradient of
 * the first layer is skipped (nothing upstream needs it).
 */
export function denseFeatureMajor(wT: tf.Tensor, aT: tf.Tensor2D, needInputGrad: boolean): tf.Tensor2D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [wi, ai, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    save([wi, ai]);
    return {
      value: tf.matMul(wi, ai) as tf.Tensor,
      gradFunc: (dzT: tf.Tensor, saved: tf.Tensor[]) => {
        const [ws, as] = saved as [tf.Tensor2D, tf.Tensor2D];
        const dW = tf.matMul(dzT as tf.Tensor2D, tf.transpose(as));
        const dA = needInputGrad ? tf.matMul(tf.transpose(ws), dzT as tf.Tensor2D) : tf.zerosLike(as);
        return [dW, dA];
      },
    };
  });
  return op(wT, aT) as tf.Tensor2D;
}

/**
 * A 3x3 'same' convolution with its own gradient, built from kernels that are fast on every backend. tfjs's
 * wasm backend has no Conv2DBackpropFilter kernel (autodiff of conv2d cannot train there) and its
 * Conv2DBackpropInput is a naive loop (57% of a Conv-2 step; bench/FINDINGS.md). So:
 * - the input gradient is a forward conv2d of dy with the filter rotated 180 degrees and its in/out channels
 *   swapped (exact for stride 1, 'same', odd kernel), skipped for the first layer (nothing upstream needs it);
 * - the filter gradient is one forward conv2d too, with batch and channels swapped (2.5-3.5x faster on wasm
 *   than 9 shifted-input matMuls, whose slices and transposes copy the activations 18 times).
 */
export function conv3x3(x: tf.Tensor4D, w: tf.Tensor4D, needInputGrad = true): tf.Tensor4D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, wi, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    save([xi, wi]);
    return {
      value: tf.conv2d(xi, wi, 1, 'same'),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
        const dx = needInputGrad ? tf.conv2d(dy as tf.Tensor4D, tf.transpose(tf.reverse(ws, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D, 1, 'same') : tf.zerosLike(xs);
        // dW[ky, kx, ci, f] = sum over b, y, x of padded[b, y + ky, x + kx, ci] * dy[b, y, x, f]: a 'valid' conv2d with
        // batch and channels swapped, the padded input [c, h+2, w+2, b] as the image and dy [h, w, b, f] as the filter.
        const padded = tf.pad(xs, [[0, 0], [1, 1], [1, 1], [0, 0]]);
        const image = tf.transpose(padded, [3, 1, 2, 0]) as tf.Tensor4D;
        const filter = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D;
        const dW = tf.transpose(tf.conv2d(image, filter, 1, 'valid'), [1, 2, 0, 3]); // [c, 3, 3, f] -> [3, 3, c, f]
        return [dx, dW];
      },
    };
  });
  return op(x, w) as tf.Tensor4D;
}

/** Batch statistics of one training forward pass, per batch-norm layer: folded into the running averages after the step. */
export interface BatchStats {
  layer: number;
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
  /** Values per channel (batch x height x width): the unbiased running variance scales by count / (count - 1). */
  count: number;
}

export interface ForwardOptions {
  /** Seed of this step's dropout masks; null in evaluation. */
  dropoutSeed: number | null;
  /**
   * Training: batch norm normalises with the batch's statistics and pushes them here (kept: the caller disposes
   * them after `updateRunningStats`). Absent: evaluation, normalising with the running averages.
   */
  batchStats?: BatchStats[];
}

/** Every other row and column, from the first: a stride-2 sample of a stride-1 map (PyTorch's alignment with padding 1). */
export function subsample(x: tf.Tensor4D): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  // [b, h, w, c] -> [b·h/2, 2, w/2, 2c]: row parity on axis 1, column parity in the channel axis; keep both even.
  const pairs = tf.reshape(x, [b * (h / 2), 2, w / 2, 2 * c]);
  return tf.reshape(tf.slice(pairs, [0, 0, 0, 0], [-1, 1, -1, c]), [b, h / 2, w / 2, c]);
}

/**
 * A 1x1 convolution as one matMul over pixels. A stride-2 3x3 convolution is the stride-1 one sampled (4x the
 * arithmetic of that layer, two layers of a ResNet): it keeps conv3x3's gradients, which run on every backend.
 */
export function convolve(step: Extract<Step, { op: 'conv' }>, x: tf.Tensor4D, w: tf.Tensor, first: boolean): tf.Tensor4D {
  if (step.kernel === 1) {
    const input = step.stride === 2 ? subsample(x) : x;
    const [b, h, wd, c] = input.shape;
    const z = tf.matMul(tf.reshape(input, [b * h * wd, c]), tf.reshape(w, [c, step.filters]));
    return tf.reshape(z, [b, h, wd, step.filters]);
  }
  const z = conv3x3(x, w as tf.Tensor4D, !first);
  return step.stride === 2 ? subsample(z) : z;
}

/**
 * Batch norm from composed ops: with `stats`, the batch's statistics (pushed there), else the running averages.
 * Twice differentiable, which GraSP's scoring needs; training uses batchNormTraining's closed-form gradient.
 */
export function batchNorm(z: tf.Tensor4D, norm: NormParams, beta: tf.Tensor, layer: number, stats: BatchStats[] | undefined): tf.Tensor4D {
  let mean: tf.Tensor;
  let variance: tf.Tensor;
  if (stats) {
    mean = tf.mean(z, [0, 1, 2]);
    variance = tf.mean(tf.square(tf.sub(z, mean)), [0, 1, 2]);
    const [b, h, w] = z.shape;
    stats.push({ layer, mean: tf.keep(mean) as tf.Tensor1D, variance: tf.keep(variance) as tf.Tensor1D, count: b * h * w });
  } else {
    mean = norm.mean;
    variance = norm.variance;
  }
  const scale = tf.mul(tf.rsqrt(tf.add(variance, BN_EPSILON)), norm.gamma);
  return tf.add(tf.mul(tf.sub(z, mean), scale), beta) as tf.Tensor4D;
}

/** running ← (1 − m)·running + m·batch, the variance unbiased (PyTorch's rule); disposes the batch statistics. */
export function updateRunningStats(params: Params, stats: BatchStats[]): void {
  tf.tidy(() => {
    for (const s of stats) {
      const n = params.norms[s.layer]!;
      n.mean.assign(tf.add(tf.mul(n.mean, 1 - BN_MOMENTUM), tf.mul(s.mean, BN_MOMENTUM)));
      n.variance.assign(tf.add(tf.mul(n.variance, 1 - BN_MOMENTUM), tf.mul(s.variance, (BN_MOMENTUM * s.count) / Math.max(1, s.count - 1))));
    }
  });
  tf.dispose(stats.flatMap((s) => [s.mean, s.variance]));
  stats.length = 0;
}

type ConvStep = Extract<Step, { op: 'conv' }>;
type DenseStep = Extract<Step, { op: 'dense' }>;

/** What differs between the step interpreters (the trainer's forward, the scorers'): the layers themselves. */
export interface StepOps {
  conv(step: ConvStep, input: tf.Tensor4D, first: boolean): tf.Tensor4D;
  pool(act: tf.Tensor4D): tf.Tensor4D;
  dense(step: DenseStep, act: tf.Tensor, first: boolean): tf.Tensor;
}

/**
 * The plan's steps over a batch [batch, height * width * channels] (NHWC flattened): the shared part of every
 * forward pass (input reshape, flatten, global average, residual fork and join), the layers from `ops`. After each
 * step it yields the activation and whether a residual block is open; a caller may send back a replacement.
 */
export function* walkSteps(plan: NetworkPlan, x: tf.Tensor2D, ops: StepOps): Generator<{ step: Step; act: tf.Tensor; inBlock: boolean }, tf.Tensor, tf.Tensor | undefined> {
  const [h, w, c] = plan.inputShape;
  let act: tf.Tensor = plan.steps[0]?.op !== 'dense' ? tf.reshape(x, [-1, h, w, c]) : x;
  let first = true;
  const forks: tf.Tensor4D[] = [];
  for (const step of plan.steps) {
    switch (step.op) {
      case 'conv':
        act = ops.conv(step, act as tf.Tensor4D, first);
        first = false;
        break;
      case 'pool':
        act = ops.pool(act as tf.Tensor4D);
        break;
      case 'flatten':
        act = tf.reshape(act, [act.shape[0]!, -1]);
        break;
      case 'average':
        act = tf.mean(act, [1, 2]);
        break;
      case 'fork':
        forks.push(act as tf.Tensor4D);
        break;
      case 'join': {
        const input = forks.pop()!;
        const shortcut = step.projection ? ops.conv(step.projection, input, false) : input;
        act = tf.relu(tf.add(act, shortcut));
        break;
      }
      case 'dense':
        act = ops.dense(step, act, first);
        first = false;
        break;
    }
    act = (yield { step, act, inBlock: forks.length > 0 }) ?? act;
  }
  return act;
}

/** Runs walkSteps to the end, replacing nothing. */
export function runSteps(plan: NetworkPlan, x: tf.Tensor2D, ops: StepOps): tf.Tensor {
  const walk = walkSteps(plan, x, ops);
  for (let r = walk.next(); ; r = walk.next(undefined)) if (r.done) return r.value;
}

/**
 * Logits [batch, classes] for a batch given as [batch, height * width * channels] (NHWC flattened). Pruned
 * kernel entries are exactly zero in the variables themselves (the optimizer never moves them), so no mask
 * multiply is needed here. `options` may be a bare dropout seed (null = evaluation).
 */
export function forward(plan: NetworkPlan, params: Params, x: tf.Tensor2D, options: ForwardOptions | number | null): tf.Tensor2D {
  const { dropoutSeed, batchStats } = typeof options === 'object' && options !== null ? options : { dropoutSeed: options, batchStats: undefined };
  let featureMajor = false;
  const act = runSteps(plan, x, {
    conv(step, input, first) {
      const z = convolve(step, input, params.kernels[step.layer]!, first);
      const norm = params.norms[step.layer];
      const beta = params.biases[step.layer]!;
      const [b, h, w] = z.shape;
      const out = !norm
        ? (tf.add(z, beta) as tf.Tensor4D)
        : batchStats
          ? batchNormTraining(z, norm.gamma, beta, (mean, variance) => batchStats.push({ layer: step.layer, mean, variance, count: b * h * w }))
          : batchNorm(z, norm, beta, step.layer, undefined);
      return step.relu ? tf.relu(out) : out;
    },
    pool: (act) => tf.maxPool(act, 2, 2, 'valid'),
    dense(step, input, first) {
      let act = input;
      if (!featureMajor) {
        act = tf.transpose(act);
        featureMajor = true;
      }
      const bias = tf.reshape(params.biases[step.layer]!, [-1, 1]);
      const z = tf.add(denseFeatureMajor(params.kernels[step.layer]!, act as tf.Tensor2D, !first), bias);
      act = step.relu ? tf.relu(z) : z;
      if (step.dropout > 0 && dropoutSeed !== null) act = tf.dropout(act, step.dropout, undefined, dropoutSeed + step.layer);
      return act;
    },
  });
  return tf.transpose(act) as tf.Tensor2D;
}
