import * as tf from '@tensorflow/tfjs-core';
import type { NetworkPlan } from '../network';
import type { Mask, WeightSet } from '../types';
import { denseMask } from '../weights';
import { AbortedError } from '../trainer';
import { keepCount, keepTopScores, scoreForward } from './common';
import type { AtInitContext, AtInitMethod } from './types';

/**
 * SynFlow scores (Tanaka et al. 2020, "Pruning neural networks without any data by iteratively conserving
 * synaptic flow", eq. 2 and Algorithm 1): R = 1ᵀ (Π_l |θ^[l]|) 1, the sum of the outputs of the network with
 * absolute weights on an all-ones input, and S(θ) = ∂R/∂θ ⊙ θ (≥ 0). No data, no labels.
 *
 * Biases start at zero in this engine (Glorot kernels, zero biases), so |b| adds nothing and they are left out
 * (Synaptic-Flow takes |b| of PyTorch's non-zero default bias init; the kernels' ranking is the paper's). With non-negative
 * weights and input every pre-activation is ≥ 0, so the ReLUs are the identity and R is multilinear in the layers'
 * kernels (max-pooling is positively homogeneous): scaling layer l by c_l scales every score by Π c_l and leaves
 * the ranking unchanged. Each layer is scaled so that an output unit's incoming |weights| sum to 1 on average,
 * which keeps R finite in float32 for deep networks.
 */
export function synflowScores(plan: NetworkPlan, weights: WeightSet, mask: Mask): Float32Array[] {
  return tf.tidy(() => {
    const ks = plan.layers.map((l, i) => {
      const k = weights.kernels[i]!;
      const m = mask[i]!;
      const abs = new Float32Array(k.length);
      let sum = 0;
      for (let j = 0; j < k.length; j++) {
        abs[j] = m[j] ? Math.abs(k[j]!) : 0;
        sum += abs[j]!;
      }
      const fanOut = l.shape[l.shape.length - 1]!;
      const rowSum = sum / fanOut;
      if (rowSum > 0) for (let j = 0; j < abs.length; j++) abs[j] = abs[j]! / rowSum;
      return tf.tensor(abs, l.shape);
    });
    const bs = plan.layers.map((l) => tf.zeros([l.shape[l.shape.length - 1]!]));
    const size = plan.inputShape[0] * plan.inputShape[1] * plan.inputShape[2];
    const ones = tf.ones([1, size]) as tf.Tensor2D;
    const grads = tf.grads((...k: tf.Tensor[]) => tf.sum(scoreForward(plan, k, bs, ones, true)) as tf.Scalar)(ks);
    return grads.map((g, i) => Float32Array.from(tf.abs(tf.mul(g, ks[i]!)).dataSync() as Float32Array));
  });
}

/**
 * Algorithm 1 of the paper: n rounds; round k re-scores the survivors and keeps the fraction density^(k/n) of the
 * pool (the exponential schedule), so the last round lands exactly on round(N · density).
 */
export function synflowMask(ctx: AtInitContext, iterations: number): Mask {
  let mask = denseMask(ctx.layers);
  for (let k = 1; k <= iterations; k++) {
    const scores = synflowScores(ctx.plan, ctx.init, mask);
    const keep = keepCount(ctx.layers, ctx.pool, ctx.density ** (k / iterations));
    mask = keepTopScores(scores, mask, ctx.pool, keep);
  }
  return mask;
}

/** synflowMask, handing the event loop back between steps (heartbeats, stop requests) and stopping on ctx.signal. */
export async function synflowMaskAsync(ctx: AtInitContext, iterations: number): Promise<Mask> {
  let mask = denseMask(ctx.layers);
  for (let k = 1; k <= iterations; k++) {
    await new Promise((resolve) => setImmediate(resolve));
    if (ctx.signal?.aborted) throw new AbortedError();
    const scores = synflowScores(ctx.plan, ctx.init, mask);
    mask = keepTopScores(scores, mask, ctx.pool, keepCount(ctx.layers, ctx.pool, ctx.density ** (k / iterations)));
  }
  return mask;
}

export const synflow: AtInitMethod = {
  name: 'synflow',
  description: 'SynFlow (Tanaka et al. 2020): iteratively keep the weights of highest |∂R/∂θ ⊙ θ|, R the synaptic flow of |θ| on an all-ones input; no data',
  needsData: false,
  mask: (ctx) => synflowMaskAsync(ctx, ctx.spec.pruning.synflowIterations),
};
