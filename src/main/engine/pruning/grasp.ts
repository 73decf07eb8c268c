import * as tf from '@tensorflow/tfjs-core';
import type { BatchStats } from '../batch-norm';
import { activationFloats, totalWeights, type NetworkPlan } from '../network';
import { AbortedError } from '../trainer';
import type { WeightSet } from '../types';
import { denseMask } from '../weights';
import { keepCount, keepTopScores, memoScores, rankedScores, readAll } from './common';
import { sampleLoss, scoreNetwork, withBatchStats } from './snip';
import type { AtInitContext, AtInitMethod, ScoreData } from './types';

/** Softmax temperature of GraSP's reference implementation (alecwangcq/GraSP, pruner/GraSP.py: T = 200). */
export const GRASP_TEMPERATURE = 200;

/**
 * Peak tensor memory of one GraSP pass (gradient, then gradient of a gradient) over n examples, measured with
 * tf.profile on tfjs-wasm at θ0 (Kaiming), n = 2 and 6: per example, ResNet-20 79 MB (97 × its 204K activation
 * floats × 4 B) and VGG-19 124 MB (101 ×), both with batch norm; without batch norm Conv-2 21 MB (40 ×), Conv-6
 * 41 MB (44 ×), ResNet-20 35 MB (43 ×). A fixed part of about 22 copies of the weights (VGG-19 1.76 GB, ResNet-20
 * 24 MB) comes on top. The estimate rounds these up: floats held per activation float and example, per weight.
 */
export const GRASP_FLOATS_PER_ACTIVATION = { batchNorm: 100, plain: 45 } as const;
export const GRASP_FLOATS_PER_WEIGHT = 24;
/**
 * Tensor bytes one chunk may take: tfjs-wasm's heap is 4 GB, and ResNet-20 with 40 examples (3.2 GB measured)
 * fitted while 60 (4.8 GB) did not. Backend-independent, so a spec scores the same maths on every backend.
 */
export const GRASP_CHUNK_BYTES = 3e9;

/**
 * The most examples one GraSP chunk holds under GRASP_CHUNK_BYTES, from the measured footprint above (at least 1).
 * ResNet-20 on 32x32x3: 36 (100 examples: chunks of 34, 33, 33); VGG-19: 8; Conv-2: 106 and LeNet-300-100:
 * thousands (one chunk for the default 100).
 */
export function graspChunkSize(plan: NetworkPlan): number {
  const perActivation = plan.layers.some((l) => l.batchNorm) ? GRASP_FLOATS_PER_ACTIVATION.batchNorm : GRASP_FLOATS_PER_ACTIVATION.plain;
  const fixed = 4 * GRASP_FLOATS_PER_WEIGHT * totalWeights(plan.layers);
  return Math.max(1, Math.floor((GRASP_CHUNK_BYTES - fixed) / (4 * perActivation * activationFloats(plan))));
}

/** The sample cut into consecutive pieces of at most `chunk` examples, as even as possible (sizes differ by at most 1). */
export function sampleChunks(data: ScoreData, chunk: number): ScoreData[] {
  const pieces = Math.ceil(data.count / Math.max(1, Math.floor(chunk)));
  if (pieces <= 1) return [data];
  const px = data.pixels.length / data.count;
  const classes = data.oneHot.length / data.count;
  const out: ScoreData[] = [];
  let from = 0;
  for (let p = 0; p < pieces; p++) {
    const count = Math.floor(data.count / pieces) + (p < data.count % pieces ? 1 : 0);
    out.push({ pixels: data.pixels.subarray(from * px, (from + count) * px), oneHot: data.oneHot.subarray(from * classes, (from + count) * classes), count });
    from += count;
  }
  return out;
}

export interface GraspOptions {
  /** Examples per chunk (default graspChunkSize(plan)). */
  chunk?: number;
  /** Checked between chunks; aborting stops with AbortedError. */
  signal?: AbortSignal | undefined;
}

/**
 * The Hessian-gradient product Hg of the sample loss at θ, from two gradient passes: g = ∇L(θ) held constant,
 * then Hg = ∇_θ (∇L(θ) · g), the gradient of a gradient (Pearlmutter's trick, as GraSP's code does with
 * create_graph=True). Only kernels are differentiated (biases, γ, β held).
 *
 * In chunks, as the reference implementations do (alecwangcq/GraSP at f17d87a, pruner/GraSP.py: g summed over two
 * halves of the sample, then z = gᵀ∇L back-propagated per half, Hg accumulating in .grad; Synaptic-Flow at 9dfa57a,
 * Pruners/pruners.py GraSP.score: the same over the batches of its prune loader): the sample is cut into chunks of at
 * most `chunk` examples (graspChunkSize: what one pass holds in memory), g = Σ_c (n_c / N) ∇L_c over all chunks
 * first, then Hg = Σ_c (n_c / N) ∇_θ (∇L_c · g). The weights n_c / N make both exactly the whole sample's ∇L and
 * H∇L wherever a chunk's loss does not depend on the other chunks (the references sum unweighted over equal
 * halves: a constant factor). Batch norm uses the statistics of each chunk (the network as it trains, one forward
 * per chunk, as in both references), which depend on the kernels: their second derivatives are part of Hg. A
 * sample that fits in one chunk is one batch, as before. Reads back only at the end, with awaited data().
 */
export async function hessianGradientProduct(plan: NetworkPlan, weights: WeightSet, data: ScoreData, temperature = GRASP_TEMPERATURE, options: GraspOptions = {}): Promise<{ g: Float32Array[]; hg: Float32Array[] }> {
  const chunks = sampleChunks(data, options.chunk ?? graspChunkSize(plan));
  const net = scoreNetwork(plan, weights);
  const ks = net.kernels as tf.Tensor[];
  const weightOf = (piece: ScoreData) => (chunks.length === 1 ? 1 : piece.count / data.count);
  // Adds this chunk's terms, weighted, to the running sums (disposed as they are replaced).
  const accumulate = (sum: tf.Tensor[] | null, terms: tf.Tensor[], weight: number): tf.Tensor[] => {
    const scaled = weight === 1 ? terms : terms.map((t) => tf.mul(t, weight));
    return sum ? scaled.map((t, i) => tf.add(sum[i]!, t)) : scaled;
  };
  const between = async () => {
    if (chunks.length === 1) return;
    await new Promise((resolve) => setImmediate(resolve));
    if (options.signal?.aborted) throw new AbortedError();
  };
  let g: tf.Tensor[] | null = null;
  let hg: tf.Tensor[] | null = null;
  try {
    for (const piece of chunks) {
      const lossOf = (stats: BatchStats[]) => (...k: tf.Tensor[]) => sampleLoss(plan, { ...net, kernels: k }, piece, stats, temperature, true);
      const next: tf.Tensor[] = tf.tidy(() => withBatchStats((stats) => accumulate(g, tf.grads(lossOf(stats))(ks), weightOf(piece))));
      if (g) tf.dispose(g);
      g = next;
      await between();
    }
    const stopped = g!;
    for (const piece of chunks) {
      const lossOf = (stats: BatchStats[]) => (...k: tf.Tensor[]) => sampleLoss(plan, { ...net, kernels: k }, piece, stats, temperature, true);
      const next: tf.Tensor[] = tf.tidy(() =>
        withBatchStats((stats) => {
          const terms = tf.grads((...k: tf.Tensor[]) => {
            const gk = tf.grads(lossOf(stats))(k);
            return tf.addN(gk.map((gi, i) => tf.sum(tf.mul(gi, stopped[i]!)))) as tf.Scalar;
          })(ks);
          return accumulate(hg, terms, weightOf(piece));
        }),
      );
      if (hg) tf.dispose(hg);
      hg = next;
      await between();
    }
    const out = { g: await readAll(g!), hg: await readAll(hg!) };
    g = hg = null;
    return out;
  } finally {
    tf.dispose([...(g ?? []), ...(hg ?? []), ...net.kernels, ...net.biases, ...net.norms.flatMap((n) => (n ? [n.gamma, n.mean, n.variance] : []))]);
  }
}

/**
 * GraSP (Wang, Zhang & Grosse 2020, "Picking winning tickets before training by preserving gradient flow",
 * eq. 8): S(−θ) = −θ ⊙ Hg, and the weights with the highest S are removed. So a weight is kept for a high
 * θ ⊙ Hg: that is the score returned here (Synaptic-Flow's Pruners/pruners.py keeps the same quantity).
 */
export async function graspScores(plan: NetworkPlan, weights: WeightSet, data: ScoreData, temperature = GRASP_TEMPERATURE, options: GraspOptions = {}): Promise<Float32Array[]> {
  const { hg } = await hessianGradientProduct(plan, weights, data, temperature, options);
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
  async mask(ctx: AtInitContext) {
    if (!ctx.data) throw new Error('GraSP scores on labelled examples: none were given');
    let scores: Float32Array[];
    try {
      const data = ctx.data;
      scores = await memoScores(ctx, 'grasp', () => graspScores(ctx.plan, ctx.init, data, GRASP_TEMPERATURE, { signal: ctx.signal }));
    } catch (err) {
      if (err instanceof AbortedError) throw err;
      const message = (err as Error).message;
      if (/memory access out of bounds|Aborted|out of memory|allocat/i.test(message)) {
        const chunk = Math.min(ctx.data.count, graspChunkSize(ctx.plan));
        throw new Error(`${message}: GraSP differentiates a gradient, which keeps every intermediate of the forward and backward passes of up to ${chunk} scoring examples (one chunk of the ${ctx.data.count}, sized from the footprint measured on tfjs-wasm) in memory at once; this backend ran out. A native backend (tensorflow) has no 4 GB heap limit as wasm has`);
      }
      throw err;
    }
    return keepTopScores(rankedScores(ctx, scores), denseMask(ctx.layers), ctx.pool, keepCount(ctx.layers, ctx.pool, ctx.density));
  },
};
