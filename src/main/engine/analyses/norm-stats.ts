import * as tf from '@tensorflow/tfjs-core';
import { REESTIMATE_EXAMPLES } from '../../../shared/analyses/stability';
import type { ExperimentSpec } from '../../../shared/spec';
import type { BatchStats } from '../batch-norm';
import { augmentBatch } from '../data/augment';
import { exampleOrder, fillBatch } from '../data/batches';
import type { LoadedDataset } from '../data/types';
import { createParams, disposeParams, forward } from '../model';
import { planNetwork } from '../network';
import { deriveSeed } from '../random';
import { trialData } from '../trial-data';
import type { Mask, WeightSet } from '../types';
import { applyMask } from '../weights';

/**
 * `weights` with batch norm's running mean and variance recomputed on the trial's training data: the network
 * (masked) in training mode over ceil(REESTIMATE_EXAMPLES / batch) batches, and per layer the mean of the batch
 * means and of the unbiased batch variances (PyTorch's cumulative average, BatchNorm with momentum=None). The
 * batches are the same for every call of a trial (their own order, augmented as training is), so networks on
 * one path differ only by their weights. γ, kernels and biases are returned unchanged.
 */
export async function reestimateNorms(spec: ExperimentSpec, trial: number, data: LoadedDataset, weights: WeightSet, mask: Mask): Promise<WeightSet> {
  const plan = planNetwork(spec.network, data.shape, data.numClasses);
  if (!weights.norms || !plan.layers.some((l) => l.batchNorm)) return weights;
  const { seed, split, lut } = trialData(spec, trial, data);
  const batch = spec.training.batchSize;
  const batches = Math.ceil(REESTIMATE_EXAMPLES / batch);
  const statsSeed = deriveSeed(seed, 'bn-reestimate');
  const order = exampleOrder(split.trainIdx, statsSeed, batch);
  const size = data.shape[0] * data.shape[1] * data.shape[2];
  const pixels = new Float32Array(batch * size);
  const oneHot = new Float32Array(batch * data.numClasses);
  const params = createParams(plan, applyMask(weights, mask), mask);
  const sums = new Map<number, { mean: tf.Tensor; variance: tf.Tensor }>();
  try {
    for (let it = 0; it < batches; it++) {
      fillBatch(data, order(it), pixels, oneHot, 'train', lut);
      if (spec.training.augment) augmentBatch(pixels, batch, data.shape, statsSeed, it, lut);
      const stats: BatchStats[] = [];
      tf.tidy(() => {
        forward(plan, params, tf.tensor2d(pixels, [batch, size]), { dropoutSeed: null, batchStats: stats });
      });
      for (const s of stats) {
        const unbiased = tf.mul(s.variance, s.count / Math.max(1, s.count - 1));
        const prev = sums.get(s.layer);
        sums.set(s.layer, prev ? { mean: tf.add(prev.mean, s.mean), variance: tf.add(prev.variance, unbiased) } : { mean: tf.clone(s.mean), variance: tf.clone(unbiased) });
        tf.dispose([s.mean, s.variance, unbiased, ...(prev ? [prev.mean, prev.variance] : [])]);
      }
      // Lets signals and progress through between batches, as training does.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    const norms = weights.norms.map((n) => n.slice());
    for (const [layer, s] of sums) {
      const c = norms[layer]!.length / 3;
      const averages = [tf.div(s.mean, batches), tf.div(s.variance, batches)];
      const [mean, variance] = await Promise.all(averages.map((t) => t.data()));
      tf.dispose(averages);
      norms[layer]!.set(mean as Float32Array, c);
      norms[layer]!.set(variance as Float32Array, 2 * c);
    }
    return { kernels: weights.kernels, biases: weights.biases, norms };
  } finally {
    disposeParams(params);
    tf.dispose([...sums.values()].flatMap((s) => [s.mean, s.variance]));
  }
}
