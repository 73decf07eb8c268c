import { beforeAll, describe, expect, it } from 'vitest';
import { denseStarts, interpolateWeights, pathErrors, runStability } from '../../src/main/engine/analyses/stability';
import { initBackend } from '../../src/main/engine/backend';
import { inlineExecutor } from '../../src/main/engine/executor';
import { planNetwork } from '../../src/main/engine/network';
import { evaluateWeights, trainRun } from '../../src/main/engine/trainer';
import { randomMask } from '../../src/main/engine/prune';
import { applyMask, denseMask, glorotInit } from '../../src/main/engine/weights';
import { errorBarrier, interpolationAlphas, summarizeStability, suggestedRewindPoint, type StabilityPointResult } from '../../src/shared/analyses/stability';
import { quadrantDataset, tinySpec } from './synthetic';

const data = quadrantDataset();
const spec = tinySpec({
  stability: { rewindPoints: [0, 10], interpolationPoints: 4, threshold: 0.02 },
  training: { optimizer: 'adam', learningRate: 0.01, batchSize: 20, iterations: 30, evalInterval: 10, validationSize: 100 },
});
const { layers } = planNetwork(spec.network, data.shape, data.numClasses);

beforeAll(async () => {
  await initBackend('wasm');
});

describe('the error barrier', () => {
  it('is the path maximum minus the mean of its ends, never negative', () => {
    expect(errorBarrier([0.1, 0.3, 0.1])).toBeCloseTo(0.2, 12);
    expect(errorBarrier([0.1, 0.15, 0.3])).toBeCloseTo(0.1, 12);
    expect(errorBarrier([0.1, 0.05, 0.1])).toBe(0);
    expect(errorBarrier([0.2, 0.2])).toBe(0);
    expect(() => errorBarrier([0.2])).toThrow(RangeError);
    expect(interpolationAlphas(4)).toEqual([0, 0.25, 0.5, 0.75, 1]);
  });

  it('summarises per point over trials and proposes the earliest k from which every later point is stable', () => {
    const r = (trial: number, point: number, startIteration: number, barrier: number): StabilityPointResult => ({
      trial, point, label: `k = ${startIteration}`, startIteration, weightsRemaining: 1, alphas: [0, 1], testError: [0, 0], barrier, endpoints: [0.9, 0.9], durationMs: 1,
    });
    const results = [r(0, 0, 0, 0.1), r(1, 0, 0, 0.05), r(0, 1, 100, 0.03), r(1, 1, 100, 0.0), r(0, 2, 500, 0.01), r(1, 2, 500, 0.01)];
    const s = summarizeStability(results, 0.02);
    expect(s.map((p) => [p.point, p.trials, p.stable])).toEqual([[0, 2, false], [1, 2, true], [2, 2, true]]);
    expect(s[0]!.barrier).toEqual({ mean: 0.07500000000000001, min: 0.05, max: 0.1 });
    expect(suggestedRewindPoint(s)).toBe(100);
    expect(suggestedRewindPoint(summarizeStability([r(0, 0, 0, 0.5)], 0.02))).toBeNull();
  });
});

describe('interpolation', () => {
  const mask = randomMask(denseMask(layers), 3);
  const a = applyMask(glorotInit(layers, 1), mask);
  const b = applyMask(glorotInit(layers, 2), mask);

  it('keeps masked weights exactly zero on the whole path, and its ends are the two networks bit for bit', () => {
    for (const alpha of [0, 0.3, 0.5, 1]) {
      const w = interpolateWeights(a, b, alpha);
      w.kernels.forEach((k, l) => k.forEach((v, j) => mask[l]![j] === 0 && expect(v).toBe(0)));
    }
    expect(interpolateWeights(a, b, 0)).toEqual(a);
    expect(interpolateWeights(a, b, 1)).toEqual(b);
  });

  it('evaluates the ends exactly as the two networks, and the path of a network with itself has barrier 0', async () => {
    const errors = await pathErrors(spec, 0, data, a, b, mask, [0, 0.5, 1]);
    expect(errors[0]).toBe(1 - (await evaluateWeights(spec, 0, data, a, mask, 'test')).accuracy);
    expect(errors[2]).toBe(1 - (await evaluateWeights(spec, 0, data, b, mask, 'test')).accuracy);
    const same = await pathErrors(spec, 0, data, a, a, mask, interpolationAlphas(4));
    expect(new Set(same).size).toBe(1);
    expect(errorBarrier(same)).toBe(0);
  });
});

describe('runStability', () => {
  it('trains a parent to k, two copies that differ only in data order, and stores each point; a resume skips done points', async () => {
    const saved: StabilityPointResult[] = [];
    await runStability({ spec, data, executor: inlineExecutor(data), starts: denseStarts(spec, data), done: new Set(), save: (r) => saved.push(r) });
    expect(saved.map((r) => [r.point, r.label, r.startIteration])).toEqual([[0, 'k = 0', 0], [1, 'k = 10', 10]]);
    for (const r of saved) {
      expect(r.alphas).toHaveLength(5);
      expect(r.testError).toHaveLength(5);
      expect(r.barrier).toBe(errorBarrier(r.testError));
      expect(r.testError[0]).toBeCloseTo(1 - r.endpoints[0], 12);
      expect(r.testError[4]).toBeCloseTo(1 - r.endpoints[1], 12);
      // The copies' curves are kept, so the window can show how each trained; each ends at T with its endpoint.
      const [ca, cb] = r.curves!;
      expect(ca.at(-1)!.iteration).toBe(spec.training.iterations);
      expect(ca.at(-1)!.testAccuracy).toBe(r.endpoints[0]);
      expect(cb.at(-1)!.testAccuracy).toBe(r.endpoints[1]);
      expect(ca[0]!.iteration).toBeGreaterThanOrEqual(r.startIteration);
    }
    // Resume with point 0 done: only point 1 is computed, and it equals the first computation.
    const again: StabilityPointResult[] = [];
    await runStability({ spec, data, executor: inlineExecutor(data), starts: denseStarts(spec, data), done: new Set(['0:0']), save: (r) => again.push(r) });
    expect(again.map((r) => r.point)).toEqual([1]);
    const { durationMs: _a, ...x } = again[0]!;
    const { durationMs: _b, ...y } = saved[1]!;
    expect(x).toEqual(y);
  });

  it('the two copies really differ (different SGD noise from the same start)', async () => {
    const init = glorotInit(layers, 5);
    const job = (orderSeed: number) => ({ spec, trial: 0, variant: 'ticket' as const, round: 0, init, mask: denseMask(layers), startIteration: 0, captureAt: null, orderSeed });
    const a = await trainRun(job(1), data);
    const b = await trainRun(job(2), data);
    expect(a.finalWeights.kernels[0]).not.toEqual(b.finalWeights.kernels[0]);
    // Same validation split: the iteration-0 evaluations agree exactly.
    expect(a.result.curve[0]).toEqual(b.result.curve[0]);
  });
});
