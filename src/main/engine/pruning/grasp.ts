import * as tf from '@tensorflow/tfjs-core';
import { denseMask } from '../weights';
import type { NetworkPlan } from '../network';
import type { WeightSet } from '../types';
import { biasTensors, keepCount, keepTopScores, kernelTensors } from './common';
import { sampleLoss } from './snip';
import type { AtInitContext, AtInitMethod, ScoreData } from './types';

/** Softmax temperature of GraSP's reference implementation (alecwangcq/GraSP, pruner/GraSP.py: T = 200). */
export const GRASP_TEMPERATURE = 200;

/**
 * The Hessian-gradient product Hg of the sample loss at θ, from two gradient passes: g = ∇L(θ) held constant,
 * then Hg = ∇_θ (∇L(θ) · g), the gradient of a gradient (Pearlmutter's trick, as GraSP's code does with
 * create_graph=True).
 */
export function hessianGradientProduct(plan: NetworkPlan, weights: WeightSet, data: ScoreData, temperature = GRASP_TEMPERATURE): { g: Float32Array[]; hg: Float32Array[] } {
  return tf.tidy(() => {
    const ks = kernelTensors(plan.layers, weights.kernels);
    const bs = biasTensors(weights);
    const lossOf = (...k: tf.Tensor[]) => sampleLoss(plan, k, bs, data, temperature, true);
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
  });
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
    const scores = graspScores(ctx.plan, ctx.init, ctx.data);
    return keepTopScores(scores, denseMask(ctx.layers), ctx.pool, keepCount(ctx.layers, ctx.pool, ctx.density));
  },
};
