import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { earlyBirdTracker, maskDistance } from '../../src/main/engine/analyses/early-bird';
import { initBackend } from '../../src/main/engine/backend';
import { inlineExecutor } from '../../src/main/engine/executor';
import { runImp } from '../../src/main/engine/imp';
import { planNetwork } from '../../src/main/engine/network';
import { trainRun } from '../../src/main/engine/trainer';
import { emptyResumeState, type Checkpoint, type ExperimentSink, type Mask, type WeightSet } from '../../src/main/engine/types';
import { denseMask, glorotInit } from '../../src/main/engine/weights';
import { earlyBirdIndex, type EarlyBirdSeries } from '../../src/shared/analyses/early-bird';
import type { RunResult } from '../../src/shared/results';
import { quadrantDataset, tinySpec } from './synthetic';

const data = quadrantDataset();
const maskArb = (n: number) => fc.array(fc.uint8Array({ minLength: n, maxLength: n, min: 0, max: 1 }), { minLength: 2, maxLength: 2 });

beforeAll(async () => {
  await initBackend('wasm');
});

describe('mask distance (normalised Hamming)', () => {
  it('is 0 exactly for equal masks, symmetric, in [0, 1], and obeys the triangle inequality', () => {
    fc.assert(
      fc.property(maskArb(7), maskArb(7), maskArb(7), (a, b, c) => {
        const d = (x: Mask, y: Mask) => maskDistance(x, y).overall;
        expect(d(a, a)).toBe(0);
        expect(d(a, b)).toBe(d(b, a));
        expect(d(a, b)).toBeGreaterThanOrEqual(0);
        expect(d(a, b)).toBeLessThanOrEqual(1);
        expect(d(a, c)).toBeLessThanOrEqual(d(a, b) + d(b, c) + 1e-12);
        if (d(a, b) === 0) expect(a).toEqual(b);
      }),
      { numRuns: 200 },
    );
  });
  it('normalises by layer size per layer and by all weights overall; refuses masks of different shapes', () => {
    const a = [Uint8Array.from([1, 1, 0, 0]), Uint8Array.from([1, 0])];
    const b = [Uint8Array.from([1, 0, 0, 0]), Uint8Array.from([0, 1])];
    expect(maskDistance(a, b)).toEqual({ overall: 3 / 6, perLayer: [0.25, 1] });
    expect(() => maskDistance(a, [Uint8Array.from([1, 1, 0])])).toThrow(/different shapes/);
  });
});

describe('the early-bird rule (You et al. 2020)', () => {
  it('fires at the point where the distance has stayed below ε for `patience` consecutive evaluations', () => {
    expect(earlyBirdIndex([0.5, 0.05, 0.05, 0.2, 0.05, 0.05, 0.05], 0.1, 3)).toBe(6);
    expect(earlyBirdIndex([0.05, 0.05], 0.1, 3)).toBe(-1);
    expect(earlyBirdIndex([0.1, 0.1, 0.1], 0.1, 1)).toBe(-1); // strictly below ε
  });
});

describe('tracking during training', () => {
  const spec = tinySpec({ earlyBird: { epsilon: 0.1, patience: 2, prune: false }, training: { optimizer: 'adam', learningRate: 0.01, batchSize: 20, iterations: 60, evalInterval: 5, validationSize: 100 } });
  const { layers } = planNetwork(spec.network, data.shape, data.numClasses);
  const job = { spec, trial: 0, variant: 'ticket' as const, round: 0, init: glorotInit(layers, 3), mask: denseMask(layers), startIteration: 0, captureAt: null, earlyBird: { epsilon: 0.1, patience: 2, stop: false } };

  it('records one distance per evaluation after the first, and the series survives a checkpoint/restore bit for bit', async () => {
    const straight = await trainRun(job, data);
    const s = straight.earlyBird!;
    expect(s.iterations).toEqual(Array.from({ length: 12 }, (_, i) => 5 * (i + 1)));
    expect(s.distances).toHaveLength(12);
    expect(s.distances[0]).toBeGreaterThan(s.distances.at(-1)!); // the mask settles as training goes
    let saved: Checkpoint | null = null;
    await expect(
      trainRun(job, data, {
        checkpointEveryIterations: 20,
        onCheckpoint: (c) => {
          if (c.iteration === 40) {
            saved = structuredClone(c);
            throw new Error('killed');
          }
        },
      }),
    ).rejects.toThrow('killed');
    const resumed = await trainRun(job, data, { restore: saved! });
    expect(resumed.earlyBird).toEqual(s);
  });

  it('the distance is the one between the masks the next round would prune to at consecutive evaluations', () => {
    const w = (seed: number): WeightSet => glorotInit(layers, seed);
    const t = earlyBirdTracker(layers, spec.pruning, denseMask(layers), { epsilon: 0.1, patience: 1, stop: true });
    t.observe(0, w(1));
    t.observe(5, w(1));
    expect(t.series().distances).toEqual([0]);
    expect(t.shouldStop()).toBe(true);
    t.observe(10, w(2));
    expect(t.series().distances[1]).toBeGreaterThan(0.1);
  });
});

describe('early-bird IMP', () => {
  it('prunes each round where the ticket emerges, trains the last round to the end, and stores every series', async () => {
    const spec = tinySpec({
      earlyBird: { epsilon: 0.2, patience: 2, prune: true },
      pruning: { strategy: 'layerwise', rates: { conv: 0.1, dense: 0.3, output: 0.1 }, rounds: 3, rewindIteration: 0 },
      training: { optimizer: 'adam', learningRate: 0.01, batchSize: 20, iterations: 80, evalInterval: 5, validationSize: 100 },
    });
    const runs: RunResult[] = [];
    const series = new Map<number, EarlyBirdSeries>();
    const masks = new Map<string, Mask>();
    const sink: ExperimentSink = {
      saveRewindWeights: () => {},
      saveMask: (t, r, m) => masks.set(`${t}:${r}`, m),
      saveTrainedWeights: () => {},
      saveRun: (r) => runs.push(r),
      saveCheckpoint: () => {},
      saveAnalysis: (kind, _t, round, d) => kind === 'early-bird' && series.set(round, d as EarlyBirdSeries),
    };
    await runImp({ spec, data, executor: inlineExecutor(data), sink, resume: emptyResumeState() });
    const ticket = (r: number) => runs.find((x) => x.variant === 'ticket' && x.round === r)!;
    expect(series.get(0)!.stopped).toBe(true);
    expect(ticket(0).iterations).toBe(series.get(0)!.detectedAt);
    expect(ticket(0).iterations).toBeLessThan(80);
    expect(ticket(0).curve.at(-1)!.iteration).toBe(series.get(0)!.detectedAt);
    expect(ticket(2).iterations).toBe(80);
    expect(series.get(2)!.stopped).toBe(false);
    expect([...series.keys()].sort()).toEqual([0, 1, 2]);
  });
});
