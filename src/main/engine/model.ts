import * as tf from '@tensorflow/tfjs-core';
import type { LayerInfo } from '../../shared/results';
import { batchNorm, batchNormTraining, type BatchStats, type NormParams } from './batch-norm';
import { convolve, denseFeatureMajor } from './ops';
import { runSteps } from './steps';
import type { NetworkPlan } from './network';
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

export interface ForwardOptions {
  /** Seed of this step's dropout masks; null in evaluation. */
  dropoutSeed: number | null;
  /**
   * Training: batch norm normalises with the batch's statistics and pushes them here (kept: the caller disposes
   * them after `updateRunningStats`). Absent: evaluation, normalising with the running averages.
   */
  batchStats?: BatchStats[];
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
