import * as tf from '@tensorflow/tfjs-core';
import { denseMask } from '../weights';
import { biasTensors, constantOf, keepCount, keepTopScores, kernelTensors, memoScores, normTensors, rankedScores, readAll, scoreForward, type ScoreNetwork } from './common';
import type { BatchStats } from '../batch-norm';
import type { AtInitContext, AtInitMethod, ScoreData } from './types';
import type { NetworkPlan } from '../network';
import type { WeightSet } from '../types';

/**
 * exp whose gradient is computed from its input. tfjs's own Exp gradient reads the saved output, and a saved output
 * is cloned onto the tape before the op that made it, so a gradient of that gradient never reaches the weights
 * (checked against finite differences in test/pruning/scores.test.ts).
 */
const twiceDifferentiableExp = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  save([x]);
  return { value: tf.exp(x), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, tf.exp(saved[0]!)) };
}) as (x: tf.Tensor) => tf.Tensor;

/**
 * Mean softmax cross-entropy of the examples given, from logits (divided by `temperature`, GraSP's T). The network
 * is scored as it trains: batch norm normalises with the statistics of these examples as one batch (SNIP: the whole
 * scoring sample; GraSP: each chunk of it), pushed to `batchStats`, kept; the caller disposes them: `withBatchStats`.
 * GraSP's reference implementation scores in training mode too (alecwangcq/GraSP at f17d87a, pruner/GraSP.py:
 * `net = copy.deepcopy(net)  # .eval()`, eval left out);
 * Synaptic-Flow's prune loop puts the model in evaluation mode unless --prune-train-mode (prune.py), not followed here.
 */
export function sampleLoss(plan: NetworkPlan, net: ScoreNetwork, data: ScoreData, batchStats: BatchStats[], temperature = 1, secondOrder = false): tf.Scalar {
  const size = plan.inputShape[0] * plan.inputShape[1] * plan.inputShape[2];
  const classes = data.oneHot.length / data.count;
  const x = tf.tensor2d(data.pixels, [data.count, size]);
  const y = tf.tensor2d(data.oneHot, [data.count, classes]);
  let z = scoreForward(plan, net, x, { batchStats, secondOrder });
  if (temperature !== 1) z = tf.div(z, temperature);
  // log-softmax written out from exp, sum and log, so that GraSP can differentiate its gradient (tfjs has no second
  // derivative of max); the per-example max that keeps exp finite is a constant of the tape (no readback).
  const shift = constantOf([z], (t) => tf.max(t, 1, true));
  const zs = tf.sub(z, shift);
  const logp = tf.sub(zs, tf.log(tf.sum(twiceDifferentiableExp(zs), 1, true)));
  return tf.neg(tf.mean(tf.sum(tf.mul(y, logp), 1))) as tf.Scalar;
}

/** Runs `fn` with a batch-statistics sink and disposes what batch norm kept there once `fn` is done (its gradients taken). */
export function withBatchStats<T>(fn: (stats: BatchStats[]) => T): T {
  const stats: BatchStats[] = [];
  try {
    return fn(stats);
  } finally {
    tf.dispose(stats.flatMap((s) => [s.mean, s.variance]));
  }
}

/** The WeightSet as scoring tensors: kernels, biases (β under batch norm) and batch-norm state; only the kernels are differentiated. */
export function scoreNetwork(plan: NetworkPlan, weights: WeightSet): ScoreNetwork {
  return { kernels: kernelTensors(plan.layers, weights.kernels), biases: biasTensors(weights), norms: normTensors(plan.layers, weights) };
}

/**
 * SNIP's connection sensitivity (Lee et al. 2019, "SNIP: single-shot network pruning based on connection
 * sensitivity", eq. 6): s_j = |g_j(w; D)| / Σ_k |g_k(w; D)| with g_j = ∂L(c ⊙ w; D)/∂c_j at c = 1, which is
 * ∂L/∂w_j · w_j. Per weight, |∂L/∂w ⊙ w|; the normalisation does not change the ranking and is left out. Only
 * kernels are scored: biases and batch norm's γ and β are never pruned.
 */
export async function snipScores(plan: NetworkPlan, weights: WeightSet, data: ScoreData): Promise<Float32Array[]> {
  const scores = tf.tidy(() =>
    withBatchStats((stats) => {
      const net = scoreNetwork(plan, weights);
      const ks = net.kernels as tf.Tensor[];
      const grads = tf.grads((...k: tf.Tensor[]) => sampleLoss(plan, { ...net, kernels: k }, data, stats))(ks);
      return grads.map((g, i) => tf.abs(tf.mul(g, ks[i]!)));
    }),
  );
  return readAll(scores);
}

export const snip: AtInitMethod = {
  name: 'snip',
  description: 'SNIP (Lee et al. 2019): keep the weights of highest |∂L/∂w ⊙ w| on a labelled sample, globally, in one shot',
  needsData: true,
  async mask(ctx: AtInitContext) {
    if (!ctx.data) throw new Error('SNIP scores on labelled examples: none were given');
    const data = ctx.data;
    const scores = await memoScores(ctx, 'snip', () => snipScores(ctx.plan, ctx.init, data));
    return keepTopScores(rankedScores(ctx, scores), denseMask(ctx.layers), ctx.pool, keepCount(ctx.layers, ctx.pool, ctx.density));
  },
};
