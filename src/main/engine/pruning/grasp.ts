import * as tf from '@tensorflow/tfjs-core';
import { denseMask } from '../weights';
import type { NetworkPlan } from '../network';
import type { WeightSet } from '../types';
import { keepCount, keepTopScores, tidyRead } from './common';
import { sampleLoss, scoreNetwork, withBatchStats } from './snip';
import type { AtInitContext, AtInitMethod, ScoreData } from './types';

/** Softmax temperature of GraSP's reference implementation (alecwangcq/GraSP, pruner/GraSP.py: T = 200). */
export const GRASP_TEMPERATURE = 200;

/**
 * The Hessian-gradient product Hg of the sample loss at θ, from two gradient passes: g = ∇L(θ) held constant,
 * then Hg = ∇_θ (∇L(θ) · g), the gradient of a gradient (Pearlmutter's trick, as GraSP's code does with
 * create_graph=True). Batch norm uses the scoring sample's statistics (the network as it trains), which depend
 * on the kernels: their second derivatives are part of Hg. Only kernels are differentiated (biases, γ, β held).
 */
export function hessianGradientProduct(plan: NetworkPlan, weights: WeightSet, data: ScoreData, temperature = GRASP_TEMPERATURE): { g: Float32Array[]; hg: Float32Array[] } {
  return withBatchStats((stats) =>
    tidyRead(() => {
      const net = scoreNetwork(plan, weights);
      const ks = net.kernels as tf.Tensor[];
      const lossOf = (...k: tf.Tensor[]) => sampleLoss(plan, { ...net, kernels: k }, data, stats, temperature, true);
      const stopped = tf.grads(lossOf)(ks).map((g) => tf.keep(g.clone()));
      const hg = tf.grads((...k: tf.Tensor[]) => {
        const g = tf.grads(lossOf)(k);
        return tf.addN(g.map((gi, i) => tf.sum(tf.mul(gi, stopped[i]!)))) as tf.Scalar;
      })(ks);
      const out = {
        g: stopped.map((t) => Float32Array.from(t.dataSync() as Float32Array)),
        hg: hg.map((t) => Float32Array.from(t.dataSync() as Float32Array)),
      };
      tf.dispose(stopped);
      return out;
    }),
  );
}

/**
 * GraSP (Wang, Zhang & Grosse 2020, "Picking winning tickets before training by preserving gradient flow",
 * eq. 8): S(−θ) = −θ ⊙ Hg, and the weights with the highest S are removed. So a weight is kept for a high
 * θ ⊙ Hg: that is the score returned here (Synaptic-Flow's Pruners/pruners.py keeps the same quantity).
 */
export function graspScores(plan: NetworkPlan, weights: WeightSet, data: ScoreData, temperature = GRASP_TEMPERATURE): Float32Array[] {
  const { hg } = hessianGradientProduct(plan, weights, data, temperature);
  return hg.map((h, i) => {
    const k = weights.kernels[i]!;
    const out = new Float32Array(h.length);
    for (let j = 0; j < h.length; j++) out[j] = k[j]! * h[j]!;
    return out;
  });
}

export const grasp: AtInitMethod = {
  name: 'grasp',
  description: 'GraSP (Wang et al. 2020): remove the weights of highest −θ ⊙ Hg (Hessian-gradient product), preserving gradient flow',
  needsData: true,
  mask(ctx: AtInitContext) {
    if (!ctx.data) throw new Error('GraSP scores on labelled examples: none were given');
    let scores: Float32Array[];
    try {
      scores = graspScores(ctx.plan, ctx.init, ctx.data);
    } catch (err) {
      // Measured on tfjs-wasm (4 GB heap): ResNet-20 on 32x32 inputs holds about 80 MB per scoring example through the
      // gradient of a gradient (batch norm in training mode about doubles it); 40 examples fit, 60 did not.
      const message = (err as Error).message;
      if (/memory access out of bounds|Aborted|out of memory|allocat/i.test(message)) {
        throw new Error(`${message}: GraSP differentiates a gradient, which keeps every intermediate of the forward and backward passes of all ${ctx.data.count} scoring examples (one batch) in memory at once; this backend ran out. A native backend (tensorflow) has no 4 GB heap limit as wasm has`);
      }
      throw err;
    }
    return keepTopScores(scores, denseMask(ctx.layers), ctx.pool, keepCount(ctx.layers, ctx.pool, ctx.density));
  },
};
