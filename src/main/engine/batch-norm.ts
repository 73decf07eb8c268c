import * as tf from '@tensorflow/tfjs-core';
import type { Params } from './model';

/** PyTorch's BatchNorm2d defaults, so that runs compare with open_lth's. */
export const BN_EPSILON = 1e-5;
export const BN_MOMENTUM = 0.1;

/**
 * Training-mode batch norm over [b, h, w, c] with the closed-form gradient of Ioffe & Szegedy 2015 (section 3):
 * dβ = Σ dy, dγ = Σ dy·x̂, dx = γ/σ · (dy − dβ/n − x̂·dγ/n). Autodiff of the composed ops takes about twice the
 * passes over the activations, and batch norm was ~30% of a wasm ResNet-20 step (BENCHMARKS.md). Not twice
 * differentiable: GraSP's Hessian-gradient product scores with the composed ops (pruning/common.ts).
 * The batch's mean and (biased) variance are handed to `onStats`, kept: the caller folds and disposes them.
 */
export function batchNormTraining(z: tf.Tensor4D, gamma: tf.Tensor, beta: tf.Tensor, onStats: (mean: tf.Tensor1D, variance: tf.Tensor1D) => void): tf.Tensor4D {
  const [b, h, w] = z.shape;
  const n = b * h * w;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, g, bt, save] = args as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const mean = tf.mean(x, [0, 1, 2]);
    const centred = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centred), [0, 1, 2]);
    const inv = tf.rsqrt(tf.add(variance, BN_EPSILON));
    const xhat = tf.mul(centred, inv);
    onStats(tf.keep(mean) as tf.Tensor1D, tf.keep(variance) as tf.Tensor1D);
    save([xhat, tf.mul(g, inv)]);
    return {
      value: tf.add(tf.mul(xhat, g), bt),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, scale] = saved as [tf.Tensor4D, tf.Tensor1D];
        const dBeta = tf.sum(dy, [0, 1, 2]);
        const dGamma = tf.sum(tf.mul(dy, xh), [0, 1, 2]);
        const dx = tf.mul(tf.sub(tf.sub(dy, tf.div(dBeta, n)), tf.mul(xh, tf.div(dGamma, n))), scale);
        return [dx, dGamma, dBeta];
      },
    };
  });
  return op(z, gamma, beta) as tf.Tensor4D;
}

/** A layer's batch norm on the backend: γ trains with the weights; the running statistics do not. */
export interface NormParams {
  gamma: tf.Variable;
  mean: tf.Variable;
  variance: tf.Variable;
}


/** Batch statistics of one training forward pass, per batch-norm layer: folded into the running averages after the step. */
export interface BatchStats {
  layer: number;
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
  /** Values per channel (batch x height x width): the unbiased running variance scales by count / (count - 1). */
  count: number;
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

