import { afterAll, describe, expect, it } from 'vitest';
import { initBackend, releaseBackend } from '../../src/main/engine/backend';
import { planNetwork } from '../../src/main/engine/network';
import { trialSeed } from '../../src/main/engine/random';
import { trainRun } from '../../src/main/engine/trainer';
import { denseMask, initialWeights } from '../../src/main/engine/weights';
import { gradientsOn, maxRelDiff } from './deep-reference';
import { colourDataset, tinySpec } from './synthetic';
import { skipUnlessCi } from '../ci-required';

/**
 * The deep networks' layers (stride-2 and 1x1 convs, batch norm, residual adds, global average pooling) on tfjs's
 * WebGPU backend: here Dawn on a software adapter, found by the lab itself. Skipped, with the reason printed,
 * only where no adapter can be created at all, and never under CI (test/ci-required.ts).
 */
process.env.WEBGPU_CPU_FORWARD = 'false';
const unavailable = skipUnlessCi(
  'the WebGPU adapter',
  await initBackend('webgpu').then(
    (info) => {
      console.log(`deep-network webgpu tests on: ${info.detail}`);
      return null;
    },
    (err: Error) => err.message,
  ),
);
afterAll(() => releaseBackend());

describe.skipIf(unavailable !== null)('residual network with batch norm on webgpu', () => {
  it('loss, evaluation logits and every gradient match autodiff of stock ops on cpu', async () => {
    const reference = await gradientsOn('cpu', true);
    const mine = await gradientsOn('webgpu', false);
    const worst = Math.max(...mine.map((a, i) => maxRelDiff(a, reference[i]!)));
    console.log(`webgpu vs cpu autodiff reference, residual BN net: max relative difference ${worst.toExponential(1)}`);
    expect(worst).toBeLessThan(2e-4);
  });

  it('a few real SGD steps (warmup, augmentation, batch norm) end where cpu ends', async () => {
    const data = colourDataset(120, 60);
    const spec = tinySpec({
      dataset: 'colours',
      network: { conv: [], dense: [], dropout: 0, residual: { widths: [4, 8], blocks: 1 }, batchNorm: true },
      training: { optimizer: 'sgd', learningRate: 0.05, momentum: 0.9, batchSize: 8, iterations: 8, evalInterval: 8, validationSize: 20, schedule: { warmupIterations: 4, milestones: [], gamma: 0.1 }, weightDecay: 1e-4, augment: true },
    });
    const plan = planNetwork(spec.network, data.shape, data.numClasses);
    const job = { spec, trial: 0, variant: 'ticket' as const, round: 0, init: initialWeights(plan.layers, trialSeed(spec, 0)), mask: denseMask(plan.layers), startIteration: 0, captureAt: null };
    const ends = [];
    for (const backend of ['cpu', 'webgpu'] as const) {
      await initBackend(backend);
      ends.push((await trainRun(job, data)).finalWeights);
    }
    const [cpu, gpu] = ends;
    const diffs = [...gpu!.kernels.map((k, i) => maxRelDiff(k, cpu!.kernels[i]!)), ...gpu!.norms!.filter((n) => n.length).map((n, i) => maxRelDiff(n, cpu!.norms!.filter((m) => m.length)[i]!))];
    console.log(`webgpu vs cpu after 8 SGD steps: max relative difference ${Math.max(...diffs).toExponential(1)}`);
    expect(Math.max(...diffs)).toBeLessThan(1e-3);
  });
});
