import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/main/engine/backend';
import { updateRunningStats, type BatchStats } from '../../src/main/engine/batch-norm';
import { createParams, disposeParams, forward } from '../../src/main/engine/model';
import { gradientsOn, maxRelDiff, tinyResidual } from './deep-reference';
import { planNetwork } from '../../src/main/engine/network';
import { createOptimizer } from '../../src/main/engine/optimizer';
import { gaussian } from '../../src/main/engine/random';
import { applyMask, denseMask, initialWeights } from '../../src/main/engine/weights';
import { findPreset } from '../../src/shared/presets';
import { parseSpec } from '../../src/shared/spec';
import { totalWeights } from '../../src/shared/network';

const CIFAR: [number, number, number] = [32, 32, 3];

describe('deep network plans', () => {
  it('ResNet-20 has the paper\'s 271K weights: 21 convs (two 1x1 projections) and fc 64x10', () => {
    const plan = planNetwork({ conv: [], dense: [], dropout: 0, residual: { widths: [16, 32, 64], blocks: 3 }, batchNorm: true }, CIFAR, 10);
    expect(totalWeights(plan.layers)).toBe(270_896);
    expect(plan.layers).toHaveLength(22);
    expect(plan.layers.filter((l) => l.kind === 'conv')).toHaveLength(21);
    expect(plan.layers.filter((l) => l.shape[0] === 1).map((l) => l.name)).toEqual(['s2b1.shortcut', 's3b1.shortcut']);
    expect(plan.layers.at(-1)).toMatchObject({ name: 'output', kind: 'output', shape: [64, 10], weights: 640 });
    expect(plan.layers.every((l) => (l.kind === 'conv') === (l.batchNorm === true))).toBe(true);
    expect(plan.flatSize).toBe(64);
    // The stage changes halve the map: the last stage's 3x3 convs see 8x8.
    expect(plan.layers.find((l) => l.name === 's3b3.conv2')!.macsPerExample).toBe(8 * 8 * 9 * 64 * 64);
    expect(plan.layers.find((l) => l.name === 's2b1.conv1')!.macsPerExample).toBe(16 * 16 * 9 * 16 * 32);
  });

  it('VGG-19 has the paper\'s 20.0M weights: 16 convs with batch norm, global average pooling, fc 512x10', () => {
    const spec = parseSpec(findPreset('vgg19-cifar10')!.spec);
    const plan = planNetwork(spec.network, CIFAR, 10);
    expect(totalWeights(plan.layers)).toBe(20_024_000);
    expect(plan.layers.filter((l) => l.kind === 'conv')).toHaveLength(16);
    expect(plan.layers.at(-1)!.shape).toEqual([512, 10]);
    expect(plan.steps.filter((s) => s.op === 'average')).toHaveLength(1);
  });

  it('the ResNet-20 preset is the paper\'s network and hyperparameters', () => {
    const spec = parseSpec(findPreset('resnet20-cifar10')!.spec);
    expect(totalWeights(planNetwork(spec.network, CIFAR, 10).layers)).toBe(270_896);
    expect(spec.training).toMatchObject({ optimizer: 'sgd', learningRate: 0.1, momentum: 0.9, batchSize: 128, iterations: 30_000, augment: true });
    expect(spec.training.schedule.milestones).toEqual([20_000, 25_000]);
    expect(spec.pruning).toMatchObject({ strategy: 'global', globalRate: 0.2 });
    expect(spec.pruning.rates.output).toBe(0);
  });

  it('refuses a stride-2 stage on an odd feature map, and conv layers beside a residual network', () => {
    expect(() => planNetwork({ conv: [], dense: [], dropout: 0, residual: { widths: [4, 8], blocks: 1 } }, [7, 7, 1], 2)).toThrow(/even feature map, got 7x7/);
    expect(() => parseSpec({ ...findPreset('resnet20-cifar10')!.spec, network: { conv: [8], dense: [], residual: { widths: [4], blocks: 1 } } })).toThrow(/leave network.conv empty/);
  });
});

describe('residual network with batch norm: forward and gradients against autodiff of stock ops', () => {
  afterAll(async () => {
    await initBackend('wasm');
  });
  let reference: Float32Array[];
  beforeAll(async () => {
    reference = await gradientsOn('cpu', true);
  });

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`${backend}: loss, evaluation logits and the gradient of every kernel, bias and γ match`, async () => {
      const mine = await gradientsOn(backend, false);
      expect(mine).toHaveLength(reference.length);
      mine.forEach((a, i) => expect(maxRelDiff(a, reference[i]!), `tensor ${i}`).toBeLessThan(2e-4));
      console.log(`${backend} vs cpu autodiff reference, residual BN net: max relative difference ${Math.max(...mine.map((a, i) => maxRelDiff(a, reference[i]!))).toExponential(1)}`);
    });
  }
});

describe('batch norm state', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });
  afterAll(async () => {
    await initBackend('wasm');
  });

  it('training folds the batch statistics into the running averages (PyTorch momentum 0.1, unbiased variance); evaluation uses them', async () => {
    const plan = planNetwork({ conv: [3], dense: [], dropout: 0, batchNorm: true, pooling: 'average' }, [4, 4, 1], 2);
    const params = createParams(plan, initialWeights(plan.layers, 3), denseMask(plan.layers));
    const x = tf.tensor2d(gaussian(5 * 16, 2, 9), [5, 16]);
    const stats: BatchStats[] = [];
    forward(plan, params, x, { dropoutSeed: null, batchStats: stats });
    expect(stats).toHaveLength(1);
    const batchMean = await stats[0]!.mean.data();
    const batchVar = await stats[0]!.variance.data();
    const n = stats[0]!.count;
    expect(n).toBe(5 * 16);
    updateRunningStats(params, stats);
    expect(stats).toHaveLength(0);
    const mean = await params.norms[0]!.mean.data();
    const variance = await params.norms[0]!.variance.data();
    for (let c = 0; c < 3; c++) {
      expect(mean[c]).toBeCloseTo(0.1 * batchMean[c]!, 6);
      expect(variance[c]).toBeCloseTo(0.9 + (0.1 * batchVar[c]! * n) / (n - 1), 6);
    }
    // Evaluation normalises with the running averages, not the batch's: another batch gives other statistics but the same per-example output.
    const one = await forward(plan, params, tf.slice(x, [0, 0], [1, 16]), null).data();
    const all = await forward(plan, params, x, null).data();
    expect(Array.from(one)).toEqual(Array.from(all.subarray(0, 2)));
    disposeParams(params);
  });

  it('masks and pruning never touch batch norm; the optimizer trains γ and leaves pruned weights at 0', async () => {
    const plan = planNetwork(tinyResidual, [8, 8, 3], 5);
    const init = initialWeights(plan.layers, 4);
    const mask = denseMask(plan.layers).map((m) => m.map((_, j) => (j % 3 === 0 ? 0 : 1)));
    const masked = applyMask(init, mask);
    expect(masked.norms).toEqual(init.norms);
    const params = createParams(plan, masked, mask);
    const opt = createOptimizer(parseSpec({ ...findPreset('resnet20-cifar10')!.spec }).training, params);
    const x = tf.tensor2d(gaussian(4 * 8 * 8 * 3, 1, 6), [4, 8 * 8 * 3]);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 5);
    const gammas = params.norms.flatMap((n) => (n ? [n.gamma] : []));
    for (let i = 0; i < 3; i++) {
      const stats: BatchStats[] = [];
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, forward(plan, params, x, { dropoutSeed: null, batchStats: stats })) as tf.Scalar, [...params.kernels, ...params.biases, ...gammas]);
        opt.step(params.kernels.map((k) => grads[k.name]!), params.biases.map((b) => grads[b.name]!), 0.1, gammas.map((g) => grads[g.name]!));
      });
      updateRunningStats(params, stats);
    }
    const g = await gammas[0]!.data();
    expect(Array.from(g).some((v) => v !== 1)).toBe(true);
    const k0 = await params.kernels[0]!.data();
    for (let j = 0; j < k0.length; j += 3) expect(k0[j]).toBe(0);
    const state = await opt.getState();
    expect(state.first).toHaveLength(2 * plan.layers.length + gammas.length);
    opt.dispose();
    disposeParams(params);
  });
});
