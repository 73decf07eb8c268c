import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/main/engine/backend';
import { planNetwork } from '../../src/main/engine/network';
import { EVAL_CHUNK, evalChunk, evaluateWeights } from '../../src/main/engine/trainer';
import { denseMask, initialWeights } from '../../src/main/engine/weights';
import { findPreset } from '../../src/shared/presets';
import { parseSpec } from '../../src/shared/spec';
import { colourDataset } from './synthetic';

const planOf = (id: string) => {
  const p = findPreset(id)!;
  return planNetwork(parseSpec({ ...p.spec, dataset: 'x' }).network, id.includes('mnist') ? [28, 28, 1] : [32, 32, 3], 10);
};

/**
 * Evaluation holds every intermediate of a chunk's forward pass: ResNet-20 at 1000 examples a chunk took 5.0 GB
 * and aborted tfjs-wasm (4 GB heap) at its first evaluation. Chunks now fit the network.
 */
describe('evaluation chunks fit the network', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('LeNet and Conv-2/4/6 keep 1000 examples a chunk (the same sums as before); ResNet-20 and VGG-19 take fewer', () => {
    expect(['lenet300-mnist', 'conv2-cifar10', 'conv4-cifar10', 'conv6-cifar10'].map((id) => evalChunk(planOf(id)))).toEqual([EVAL_CHUNK, EVAL_CHUNK, EVAL_CHUNK, EVAL_CHUNK]);
    expect(evalChunk(planOf('resnet20-cifar10'))).toBe(622);
    expect(evalChunk(planOf('vgg19-cifar10'))).toBe(414);
  });

  it.each([
    ['resnet20-cifar10', 1000],
    ['vgg19-cifar10', 500],
  ])('%s evaluates %i test images on wasm', async (id, tests) => {
    const data = colourDataset(200, tests, 2, 32);
    const p = findPreset(id)!;
    const spec = parseSpec({ ...p.spec, dataset: 'colours', training: { ...p.spec.training, validationSize: 100 } });
    const plan = planNetwork(spec.network, data.shape, data.numClasses);
    const weights = initialWeights(plan.layers, 1);
    const e = await evaluateWeights(spec, 0, data, weights, denseMask(plan.layers), 'test');
    expect(Number.isFinite(e.loss)).toBe(true);
    const chunk = evalChunk(plan);
    expect(chunk).toBeLessThan(tests);
    expect(Number.isInteger(Math.round(e.accuracy * tests * 1e6) / 1e6)).toBe(true);
    // VGG-19 shares the chunking below; evaluating it twice would add minutes on a loaded 2-core machine.
    if (id !== 'resnet20-cifar10') return;
    // The chunked evaluation is the sum of its pieces, each evaluated alone in one pass: a first chunk and the short
    // rest. Every example counts once and with its own pixels (evaluation uses the running batch-norm statistics,
    // so an example's logits do not depend on the others in its chunk).
    const piece = (from: number, to: number) => ({ ...data, testImages: data.testImages.subarray(from * 32 * 32 * 3, to * 32 * 32 * 3), testLabels: data.testLabels.subarray(from, to) });
    const first = await evaluateWeights(spec, 0, piece(0, chunk), weights, denseMask(plan.layers), 'test');
    const rest = await evaluateWeights(spec, 0, piece(chunk, tests), weights, denseMask(plan.layers), 'test');
    // Cross-entropy is positive for every example: a piece that was not evaluated at all would show 0.
    expect(Math.min(first.loss, rest.loss)).toBeGreaterThan(0);
    expect(Math.round(e.accuracy * tests)).toBe(Math.round(first.accuracy * chunk) + Math.round(rest.accuracy * (tests - chunk)));
    expect(e.loss).toBeCloseTo((first.loss * chunk + rest.loss * (tests - chunk)) / tests, 5);
  });
});
