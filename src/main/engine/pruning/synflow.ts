import * as tf from '@tensorflow/tfjs-core';
import type { NetworkPlan } from '../network';
import type { Mask, WeightSet } from '../types';
import { denseMask } from '../weights';
import { AbortedError } from '../trainer';
import { keepCount, keepTopScores, normTensors, rankedScores, readAll, rescaleDivisors, scoreForward, type ScoreNetwork } from './common';
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
 * Every layer's offset is |b| (|β| under batch norm), as linearize makes it. This engine starts every bias (and β,
 * and the running mean) at zero, so at θ0 they are zeros and the masks are those of b = 0, which this function used
 * for layers without batch norm before (PyTorch's default bias init is not zero, hence Synaptic-Flow's |b|).
 *
 * With non-negative weights and offsets, positive scaling of an activation passes through every step, so the
 * forward renormalises as it goes (scoreForward's `rescale`): R/P with P a constant, which keeps R finite in float32
 * for deep networks and leaves the ranking unchanged.
 */
export async function synflowScores(plan: NetworkPlan, weights: WeightSet, mask: Mask): Promise<Float32Array[]> {
  const ks = plan.layers.map((l, i) => {
    const k = weights.kernels[i]!;
    const m = mask[i]!;
    const abs = new Float32Array(k.length);
    for (let j = 0; j < k.length; j++) abs[j] = m[j] ? Math.abs(k[j]!) : 0;
    return tf.tensor(abs, l.shape);
  });
  const biases = weights.biases.map((b) => tf.tensor1d(Float32Array.from(b, Math.abs)));
  const norms = normTensors(plan.layers, weights, Math.abs);
  const net: ScoreNetwork = { kernels: ks, biases, norms };
  const size = plan.inputShape[0] * plan.inputShape[1] * plan.inputShape[2];
  const ones = tf.ones([1, size]) as tf.Tensor2D;
  try {
    // The renormalising divisors first (a forward pass that reads means back asynchronously), then the gradient.
    const rescale = await rescaleDivisors(plan, net, ones);
    const scores = tf.tidy(() => {
      const grads = tf.grads((...k: tf.Tensor[]) => tf.sum(scoreForward(plan, { ...net, kernels: k }, ones, { rescale })) as tf.Scalar)(ks);
      return grads.map((g, i) => tf.abs(tf.mul(g, ks[i]!)));
    });
    return await readAll(scores);
  } finally {
    tf.dispose([...ks, ...biases, ...norms.flatMap((n) => (n ? [n.gamma, n.mean, n.variance] : [])), ones]);
  }
}

/**
 * Algorithm 1 of the paper: n rounds; round k re-scores the survivors and keeps the fraction density^(k/n) of the
 * pool (the exponential schedule), so the last round lands exactly on round(N · density). Hands the event loop back
 * between rounds (heartbeats, stop requests) and stops on ctx.signal. Inverted, every round keeps its lowest scores.
 */
export async function synflowMask(ctx: AtInitContext, iterations: number): Promise<Mask> {
  let mask = denseMask(ctx.layers);
  for (let k = 1; k <= iterations; k++) {
    await new Promise((resolve) => setImmediate(resolve));
    if (ctx.signal?.aborted) throw new AbortedError();
    const scores = await synflowScores(ctx.plan, ctx.init, mask);
    mask = keepTopScores(rankedScores(ctx, scores), mask, ctx.pool, keepCount(ctx.layers, ctx.pool, ctx.density ** (k / iterations)));
  }
  return mask;
}

export const synflow: AtInitMethod = {
  name: 'synflow',
  description: 'SynFlow (Tanaka et al. 2020): iteratively keep the weights of highest |∂R/∂θ ⊙ θ|, R the synaptic flow of |θ| on an all-ones input; no data',
  needsData: false,
  mask: (ctx) => synflowMask(ctx, ctx.spec.pruning.synflowIterations),
};
