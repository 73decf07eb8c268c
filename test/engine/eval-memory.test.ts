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
    const e = await evaluateWeights(spec, 0, data, initialWeights(plan.layers, 1), denseMask(plan.layers), 'test');
    expect(Number.isFinite(e.loss)).toBe(true);
    expect(e.accuracy).toBeGreaterThanOrEqual(0);
  });
});
