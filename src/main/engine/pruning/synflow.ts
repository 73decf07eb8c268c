import * as tf from '@tensorflow/tfjs-core';
import { biasSize, type NetworkPlan } from '../network';
import type { Mask, WeightSet } from '../types';
import { denseMask } from '../weights';
import { AbortedError } from '../trainer';
import { keepCount, keepTopScores, normTensors, scoreForward, tidyRead } from './common';
import type { AtInitContext, AtInitMethod } from './types';

/**
 * SynFlow scores (Tanaka et al. 2020, "Pruning neural networks without any data by iteratively conserving
 * synaptic flow", eq. 2 and Algorithm 1): R = 1ᵀ (Π_l |θ^[l]|) 1, the sum of the outputs of the network with
 * absolute weights on an all-ones input, and S(θ) = ∂R/∂θ ⊙ θ (≥ 0). No data, no labels.
 *
 * Followed from Synaptic-Flow (github.com/ganguli-lab/Synaptic-Flow, commit 9dfa57a): Pruners/pruners.py SynFlow.score
 * `linearize`s the model by taking the absolute value of every entry of its state_dict (weights, biases, batch norm's
 * γ and β and its running mean and variance buffers), runs one all-ones input of batch 1 through it, and scores
 * |θ ⊙ ∂(Σ output)/∂θ|; prune.py's prune_loop calls model.eval() first (no --prune-train-mode), so batch norm
 * normalises with those |running statistics|: (z − |μ|) · |γ| / √(|σ²| + ε) + |β|. The model keeps its ReLUs (the
 * identity wherever every input is non-negative). Only kernels are scored and pruned (masked_parameters without
 * --prune-bias or --prune-batchnorm).
 *
 * One deviation, kept from before: a layer without batch norm takes b = 0 rather than |b|. This engine starts every
 * bias (and β, and the running mean) at zero, so at θ0, the only weights pruning at initialisation scores, both are
 * the same network (Synaptic-Flow's |b| is PyTorch's non-zero default bias init).
 *
 * With non-negative weights and offsets, positive scaling of an activation passes through every step, so the
 * forward renormalises as it goes (scoreForward's `rescale`): R/P with P a constant, which keeps R finite in float32
 * for deep networks and leaves the ranking unchanged.
 */
export function synflowScores(plan: NetworkPlan, weights: WeightSet, mask: Mask): Float32Array[] {
  return tidyRead(() => {
    const ks = plan.layers.map((l, i) => {
      const k = weights.kernels[i]!;
      const m = mask[i]!;
      const abs = new Float32Array(k.length);
      for (let j = 0; j < k.length; j++) abs[j] = m[j] ? Math.abs(k[j]!) : 0;
      return tf.tensor(abs, l.shape);
    });
    const biases = plan.layers.map((l, i) => (l.batchNorm ? tf.tensor1d(Float32Array.from(weights.biases[i]!, Math.abs)) : tf.zeros([biasSize(l)])));
    const norms = normTensors(plan.layers, weights, Math.abs);
    const size = plan.inputShape[0] * plan.inputShape[1] * plan.inputShape[2];
    const ones = tf.ones([1, size]) as tf.Tensor2D;
    const grads = tf.grads((...k: tf.Tensor[]) => tf.sum(scoreForward(plan, { kernels: k, biases, norms }, ones, { rescale: true })) as tf.Scalar)(ks);
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
