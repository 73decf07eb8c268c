import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { REESTIMATE_EXAMPLES } from '../../src/shared/analyses/stability';
import { parseSpec } from '../../src/shared/spec';
import { reestimateNorms } from '../../src/main/engine/analyses/norm-stats';
import { interpolateWeights, pathErrors } from '../../src/main/engine/analyses/stability';
import { initBackend } from '../../src/main/engine/backend';
import { exampleOrder, fillBatch } from '../../src/main/engine/data/batches';
import { augmentBatch } from '../../src/main/engine/data/augment';
import { planNetwork } from '../../src/main/engine/network';
import { deriveSeed, trialSeed } from '../../src/main/engine/random';
import { evaluateWeights, trainRun } from '../../src/main/engine/trainer';
import { trialData } from '../../src/main/engine/trial-data';
import type { WeightSet } from '../../src/main/engine/types';
import { denseMask, initialWeights } from '../../src/main/engine/weights';
import { colourDataset, tinySpec } from './synthetic';

const data = colourDataset();
const spec = tinySpec({
  dataset: 'colours',
  network: { conv: [8, 'pool', 8, 'pool'], dense: [], dropout: 0, batchNorm: true },
  training: { optimizer: 'sgd', learningRate: 0.05, momentum: 0.9, batchSize: 16, iterations: 80, evalInterval: 80, validationSize: 40, augment: true },
  stability: { rewindPoints: [0], interpolationPoints: 4, batchNormStats: 'reestimate' },
});
const plan = planNetwork(spec.network, data.shape, data.numClasses);
const mask = denseMask(plan.layers);
const statsOf = (w: WeightSet, layer: number) => {
  const n = w.norms![layer]!;
  const c = n.length / 3;
  return { gamma: n.subarray(0, c), mean: n.subarray(c, 2 * c), variance: n.subarray(2 * c) };
};

describe('batch-norm statistics re-estimated for a network on the instability path', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it("the first layer's statistics are the average over the trial's batches of its conv outputs' mean and unbiased variance", async () => {
    const w = initialWeights(plan.layers, trialSeed(spec, 0));
    const got = await reestimateNorms(spec, 0, data, w, mask);
    // Independently: stock tf.conv2d on the same (augmented) batches, statistics in float64.
    const { seed, split, lut } = trialData(spec, 0, data);
    const b = spec.training.batchSize;
    const batches = Math.ceil(REESTIMATE_EXAMPLES / b);
    const order = exampleOrder(split.trainIdx, deriveSeed(seed, 'bn-reestimate'), b);
    const size = data.shape[0] * data.shape[1] * data.shape[2];
    const pixels = new Float32Array(b * size);
    const oneHot = new Float32Array(b * data.numClasses);
    const c = plan.layers[0]!.shape[3]!;
    const mean = new Float64Array(c);
    const variance = new Float64Array(c);
    for (let it = 0; it < batches; it++) {
      fillBatch(data, order(it), pixels, oneHot, 'train', lut);
      augmentBatch(pixels, b, data.shape, deriveSeed(seed, 'bn-reestimate'), it, lut);
      const z = tf.tidy(() => tf.conv2d(tf.tensor4d(pixels, [b, ...data.shape]), tf.tensor4d(w.kernels[0]!, plan.layers[0]!.shape as [number, number, number, number]), 1, 'same'));
      const v = await z.data();
      z.dispose();
      const n = v.length / c;
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        for (let j = ch; j < v.length; j += c) s += v[j]!;
        const m = s / n;
        let q = 0;
        for (let j = ch; j < v.length; j += c) q += (v[j]! - m) ** 2;
        mean[ch]! += m / batches;
        variance[ch]! += q / (n - 1) / batches;
      }
    }
    const s = statsOf(got, 0);
    for (let ch = 0; ch < c; ch++) {
      expect(s.mean[ch]!).toBeCloseTo(mean[ch]!, 4);
      expect(s.variance[ch]! / variance[ch]!).toBeCloseTo(1, 4);
    }
    // Kernels, biases and γ are untouched; the input is not modified; the same call gives the same numbers.
    expect(got.kernels).toBe(w.kernels);
    expect(Array.from(s.gamma)).toEqual(Array.from(statsOf(w, 0).gamma));
    expect(Array.from(statsOf(w, 0).mean).every((x) => x === 0)).toBe(true);
    expect(await reestimateNorms(spec, 0, data, w, mask)).toEqual(got);
  });

  it("gives a trained network back its accuracy after its running statistics are spoiled; a path's ends use their own", async () => {
    const init = initialWeights(plan.layers, trialSeed(spec, 0));
    const trained = (await trainRun({ spec, trial: 0, variant: 'ticket', round: 0, init, mask, startIteration: 0, captureAt: null }, data)).finalWeights;
    const accuracy = async (w: WeightSet) => (await evaluateWeights(spec, 0, data, w, mask, 'test')).accuracy;
    const own = await accuracy(trained);
    // Running means moved up by three standard deviations: most units are switched off at evaluation.
    const wiped: WeightSet = {
      ...trained,
      norms: trained.norms!.map((n) => {
        const c = n.length / 3;
        return Float32Array.from(n, (x, j) => (j >= c && j < 2 * c ? x + 3 * Math.sqrt(n[j + c]!) : x));
      }),
    };
    const broken = await accuracy(wiped);
    const back = await accuracy(await reestimateNorms(spec, 0, data, wiped, mask));
    console.log(`[norm-stats] test accuracy: trained ${own.toFixed(3)}, statistics off ${broken.toFixed(3)}, re-estimated ${back.toFixed(3)}`);
    expect(own).toBeGreaterThan(0.6);
    expect(broken).toBeLessThan(own - 0.1);
    expect(back).toBeGreaterThan(own - 0.05);

    // pathErrors re-estimates at every α, the ends included (the spoiled end recovers); interpolating keeps the ends bit for bit.
    const other = (await trainRun({ spec, trial: 0, variant: 'ticket', round: 0, init, mask, startIteration: 0, captureAt: null, orderSeed: 77 }, data)).finalWeights;
    const alphas = [0, 0.5, 1];
    const re = await pathErrors(spec, 0, data, wiped, other, mask, alphas);
    const plain = await pathErrors({ ...spec, stability: { ...spec.stability!, batchNormStats: undefined } }, 0, data, wiped, other, mask, alphas);
    console.log(`[norm-stats] path errors at α = 0, ½, 1: interpolated ${plain.map((e) => e.toFixed(3)).join(', ')}; re-estimated ${re.map((e) => e.toFixed(3)).join(', ')}`);
    expect(plain[0]).toBe(1 - broken);
    expect(re[0]).toBe(1 - back);
    expect(re[1]).toBe(1 - (await accuracy(await reestimateNorms(spec, 0, data, interpolateWeights(wiped, other, 0.5), mask))));
    expect(plain[2]).toBe(1 - (await accuracy(other)));
  });

  it('is refused for a network without batch norm, naming the field', () => {
    expect(() => parseSpec({ ...spec, network: { ...spec.network, batchNorm: undefined }, stability: { ...spec.stability!, batchNormStats: 'reestimate' } })).toThrow(
      /stability\.batchNormStats.*no batch norm/,
    );
    // Absent, the spec (and its hash) is what it was before the option existed.
    expect('batchNormStats' in parseSpec({ ...spec, stability: { rewindPoints: [0] } }).stability!).toBe(false);
  });
});
