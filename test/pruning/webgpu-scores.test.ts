import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend, releaseBackend } from '../../src/main/engine/backend';
import { planNetwork, type NetworkPlan } from '../../src/main/engine/network';
import { AT_INIT_METHODS, prunablePool, scoreData, type ScoreData } from '../../src/main/engine/pruning';
import { hessianGradientProduct } from '../../src/main/engine/pruning/grasp';
import { snipScores } from '../../src/main/engine/pruning/snip';
import { synflowScores } from '../../src/main/engine/pruning/synflow';
import { gaussian } from '../../src/main/engine/random';
import type { Mask, WeightSet } from '../../src/main/engine/types';
import { denseMask, initialWeights, maskCounts } from '../../src/main/engine/weights';
import type { NetworkSpec } from '../../src/shared/spec';
import { colourDataset, tinySpec } from '../engine/synthetic';
import { skipUnlessCi } from '../ci-required';

/**
 * SNIP, GraSP and SynFlow on tfjs's WebGPU backend against the cpu backend: the scoring path reads back only with
 * awaited data() (no dataSync, which WebGPU refuses), and gives the same scores and masks. Here that is Dawn on a
 * software adapter (Mesa llvmpipe), as test/engine/webgpu.test.ts finds it; WEBGPU_CPU_FORWARD=false keeps every
 * kernel, small ones too, on the GPU path. Skipped, with the reason printed, only where no WebGPU adapter can be
 * created at all, and never under CI (test/ci-required.ts).
 */
process.env.WEBGPU_CPU_FORWARD = 'false';
const unavailable = skipUnlessCi(
  'the WebGPU adapter',
  await initBackend('webgpu').then(
    (info) => {
      console.log(`webgpu scoring tests on: ${info.detail}`);
      return null;
    },
    (err: Error) => err.message,
  ),
);

afterAll(() => releaseBackend());

/** A small conv net (3x3 convs, max-pool, dense) and a tiny residual net with batch norm (stride-2 and 1x1 convs, global average). */
const NETWORKS: [string, NetworkSpec][] = [
  ['conv net', { conv: [6, 'pool', 8], dense: [12], dropout: 0 }],
  ['residual batch-norm net', { conv: [], dense: [], dropout: 0, residual: { widths: [4, 8], blocks: 1 }, batchNorm: true }],
];

/** θ0 (Kaiming, biases 0), and a copy with non-zero biases, γ, β and running statistics so that every term of SynFlow's linearised network counts. */
function weights(plan: NetworkPlan, seed: number): { init: WeightSet; varied: WeightSet } {
  const init = initialWeights(plan.layers, seed, 'kaiming');
  const varied = initialWeights(plan.layers, seed, 'kaiming');
  varied.biases = varied.biases.map((b, i) => gaussian(b.length, 0.2, seed * 100 + i));
  if (varied.norms)
    varied.norms = varied.norms.map((n, i) => {
      const c = n.length / 3;
      const r = gaussian(n.length, 0.3, seed * 100 + 50 + i);
      return n.map((_, j) => (j < c ? 1 + r[j]! : j < 2 * c ? r[j]! : 1 + Math.abs(r[j]!)));
    });
  return { init, varied };
}

/** Largest |a − b| over the largest |b|, per layer; the worst layer. */
function relDiff(a: readonly Float32Array[], b: readonly Float32Array[]): number {
  return Math.max(
    ...b.map((bl, l) => {
      const al = a[l]!;
      expect(al.length).toBe(bl.length);
      let d = 0;
      let m = 0;
      for (let i = 0; i < bl.length; i++) {
        d = Math.max(d, Math.abs(al[i]! - bl[i]!));
        m = Math.max(m, Math.abs(bl[i]!));
      }
      return d / Math.max(m, 1e-30);
    }),
  );
}

interface Outcome {
  snip: Float32Array[];
  g: Float32Array[];
  hg: Float32Array[];
  synflow: Float32Array[];
  masks: Record<string, Mask>;
}

const METHODS = ['snip', 'grasp', 'synflow'] as const;
// The pools hold 2166 (conv net) and 1316 weights: at 0.2, N · density ends in .2, so a count rounded any way but to the
// nearest (ceil) is caught; at 0.5 they are whole.
const DENSITIES = [0.5, 0.2];

async function scoreOn(backend: 'cpu' | 'webgpu', plan: NetworkPlan, w: { init: WeightSet; varied: WeightSet }, data: ScoreData): Promise<Outcome> {
  await initBackend(backend);
  expect(tf.getBackend()).toBe(backend);
  const before = tf.memory().numTensors;
  const spec = tinySpec({ pruning: { strategy: 'layerwise', rates: { conv: 0.1, dense: 0.2, output: 0.1 }, rounds: 1, rewindIteration: 0, method: 'synflow', densities: DENSITIES, synflowIterations: 10 } });
  const pool = prunablePool(plan.layers, spec);
  const masks: Record<string, Mask> = {};
  for (const method of METHODS)
    for (const density of DENSITIES) {
      const mask = await AT_INIT_METHODS[method].mask({ spec, plan, layers: plan.layers, init: w.init, density, pool, data, seed: 1 });
      // Counted from the shapes, not by keepCount (the function under test).
      expect(pool.reduce((a, i) => a + maskCounts(mask)[i]!, 0)).toBe(Math.round(pool.reduce((a, i) => a + plan.layers[i]!.shape.reduce((p, n) => p * n, 1), 0) * density));
      masks[`${method} ${density}`] = mask;
    }
  const snip = await snipScores(plan, w.varied, data);
  const { g, hg } = await hessianGradientProduct(plan, w.varied, data);
  const synflow = await synflowScores(plan, w.varied, denseMask(plan.layers));
  expect(tf.memory().numTensors).toBe(before);
  return { snip, g, hg, synflow, masks };
}

/** Entries where two masks differ. */
function maskDifference(a: Mask, b: Mask): number {
  return a.reduce((n, m, l) => n + m.reduce((k, v, j) => k + (v !== b[l]![j] ? 1 : 0), 0), 0);
}

describe.skipIf(unavailable !== null)('pruning at init on webgpu (vs cpu)', () => {
  it.each(NETWORKS)('%s: SNIP, GraSP and SynFlow scores within float error of cpu, the same masks', async (name, network) => {
    const dataset = colourDataset(120, 30, 3);
    const plan = planNetwork(network, dataset.shape, dataset.numClasses);
    const spec = tinySpec({ network });
    const data = scoreData(spec, dataset, 0, 4);
    const w = weights(plan, 5);
    const cpu = await scoreOn('cpu', plan, w, data);
    const t0 = performance.now();
    const gpu = await scoreOn('webgpu', plan, w, data);
    const diffs = { snip: relDiff(gpu.snip, cpu.snip), 'GraSP g': relDiff(gpu.g, cpu.g), 'GraSP Hg': relDiff(gpu.hg, cpu.hg), synflow: relDiff(gpu.synflow, cpu.synflow) };
    const masks = Object.keys(cpu.masks).map((k) => `${k}: ${maskDifference(gpu.masks[k]!, cpu.masks[k]!)}`);
    console.log(
      `webgpu vs cpu, ${name} (${data.count} examples; webgpu ${((performance.now() - t0) / 1000).toFixed(1)} s): max relative score difference ${Object.entries(diffs)
        .map(([k, v]) => `${k} ${v.toExponential(1)}`)
        .join(', ')}; mask entries that differ: ${masks.join(', ')}`,
    );
    for (const v of Object.values(diffs)) expect(v).toBeLessThan(1e-4);
    for (const k of Object.keys(cpu.masks)) expect(gpu.masks[k], k).toEqual(cpu.masks[k]);
  });
});
