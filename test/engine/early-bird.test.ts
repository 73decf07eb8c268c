import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { earlyBirdTracker, maskDistance, nextRoundMask } from '../../src/main/engine/analyses/early-bird';
import { initBackend } from '../../src/main/engine/backend';
import { inlineExecutor } from '../../src/main/engine/executor';
import { runImp } from '../../src/main/engine/imp';
import { planNetwork } from '../../src/main/engine/network';
import { trainRun } from '../../src/main/engine/trainer';
import { emptyResumeState, type Checkpoint, type ExperimentSink, type Mask, type WeightSet } from '../../src/main/engine/types';
import { denseMask, glorotInit } from '../../src/main/engine/weights';
import { magnitudeMask } from '../../src/main/engine/prune';
import { earlyBirdConventions, earlyBirdIndex, referenceEarlyBirdIndex, type EarlyBirdSeries } from '../../src/shared/analyses/early-bird';
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

describe("early bird's distance on a pruned mask", () => {
  // Round 2 of a run whose hidden layers are pruned and whose output layer is not: density about 0.64 there.
  const spec = tinySpec({ pruning: { strategy: 'layerwise', rates: { conv: 0.1, dense: 0.2, output: 0 }, rounds: 3, rewindIteration: 0 } });
  const { layers } = planNetwork(spec.network, data.shape, data.numClasses);
  const runMask = magnitudeMask(layers, glorotInit(layers, 1), denseMask(layers), denseMask(layers), 2, spec.pruning);
  const w = (seed: number): WeightSet => glorotInit(layers, seed);

  it('divides the flips by the survivors of the layers the round prunes, not by every position', () => {
    const t = earlyBirdTracker(layers, spec.pruning, runMask, { epsilon: 0.1, patience: 5, stop: false, ...earlyBirdConventions({ rule: 'reference' }) });
    t.observe(0, w(2));
    t.observe(5, w(3));
    const a = nextRoundMask(layers, w(2), runMask, spec.pruning);
    const b = nextRoundMask(layers, w(3), runMask, spec.pruning);
    let flips = 0;
    let canFlip = 0;
    layers.forEach((l, i) => {
      for (let j = 0; j < l.weights; j++) {
        const survivor = runMask[i]![j] === 1 && l.kind !== 'output';
        if (survivor) canFlip++;
        if (a[i]![j] !== b[i]![j]) {
          expect(survivor).toBe(true); // pruned positions and the unpruned layer never flip
          flips++;
        }
      }
    });
    expect(flips).toBeGreaterThan(0);
    const s = t.series();
    expect(s.distanceOver).toBe('survivors');
    expect(s.distances[0]).toBe(flips / canFlip);
    // Over all positions (the old distance) it reads about density × as much: ε would act like ε / density.
    const all = maskDistance(a, b).overall;
    expect(all).toBeCloseTo((flips / canFlip) * (canFlip / layers.reduce((n, l) => n + l.weights, 0)), 12);
    expect(s.distances[0]! / all).toBeGreaterThan(1.5);
  });

  it('a spec stored before the rule was a choice keeps the distance it ran with (over all positions)', () => {
    const t = earlyBirdTracker(layers, spec.pruning, runMask, { epsilon: 0.1, patience: 5, stop: false, ...earlyBirdConventions({}) });
    t.observe(0, w(2));
    t.observe(5, w(3));
    const a = nextRoundMask(layers, w(2), runMask, spec.pruning);
    const b = nextRoundMask(layers, w(3), runMask, spec.pruning);
    expect(t.series()).toMatchObject({ rule: 'consecutive', distanceOver: 'all', distances: [maskDistance(a, b).overall] });
  });
});

describe('the reference rule (RICE-EIC/Early-Bird-Tickets) against the consecutive rule', () => {
  // Only the hidden layers prune (half of them); at step t the kept half is a window shifted by t·s, s ≈ n/30,
  // so consecutive masks differ by about 2/30 of the survivors (< ε) and masks two steps apart by 4/30 (> ε).
  const spec = tinySpec({ pruning: { strategy: 'layerwise', rates: { conv: 0, dense: 0.5, output: 0 }, rounds: 3, rewindIteration: 0 } });
  const { layers } = planNetwork(spec.network, data.shape, data.numClasses);
  const shifted = (t: number): WeightSet => {
    const base = glorotInit(layers, 1);
    return {
      ...base,
      kernels: layers.map((l, i) => {
        if (l.kind === 'output') return base.kernels[i]!;
        const n = l.weights;
        const keep = Math.round(n * 0.5);
        const s = Math.round(n / 30);
        return Float32Array.from({ length: n }, (_, j) => (((j - t * s) % n) + n) % n < keep ? 2 : 0.5);
      }),
    };
  };
  const track = (rule: 'reference' | 'consecutive', steps: number[]) => {
    const t = earlyBirdTracker(layers, spec.pruning, denseMask(layers), { epsilon: 0.1, patience: 5, stop: true, ...earlyBirdConventions({ rule }) });
    steps.forEach((step, e) => t.observe(10 * e, shifted(step)));
    return t;
  };

  it('drift under ε at every step: the consecutive rule fires after 5 points, the reference rule never', () => {
    const steps = [0, 1, 2, 3, 4, 5, 6, 7, 8];
    const consecutive = track('consecutive', steps);
    const reference = track('reference', steps);
    const c = consecutive.series();
    expect(c.distances.every((d) => d > 0.05 && d < 0.1)).toBe(true);
    expect(c.detectedAt).toBe(50); // points at 10, 20, 30, 40, 50
    const r = reference.series();
    expect(r.distances).toEqual(c.distances);
    // The newest mask against the 4 before it: 4 steps of drift.
    expect(r.spread!.slice(3).every((d) => d > 0.2)).toBe(true);
    expect(r.detectedAt).toBeNull();
    expect(reference.shouldStop()).toBe(false);
    expect(consecutive.shouldStop()).toBe(true);
  });

  it('the reference rule fires once the newest mask is within ε of each of the 4 older ones', () => {
    // Drift for 3 steps, then the mask stays put.
    const t = track('reference', [0, 1, 2, 3, 3, 3, 3, 3]);
    const s = t.series();
    // Evaluation 5 (iteration 40) is 3 steps from the oldest kept, evaluation 6 (50) 2 steps (> ε), evaluation 7 (60) 1 step.
    expect(s.spread![3]! > 0.1 && s.spread![4]! > 0.1 && s.spread![5]! <= 0.1).toBe(true);
    expect(s.detectedAt).toBe(60);
    expect(t.state().recent).toHaveLength(4); // the checkpoint keeps what the next comparison needs
    // The index functions on their own: the first full window (point patience − 2) is the earliest that counts.
    expect(referenceEarlyBirdIndex([0, 0, 0, 0.2, 0.1], 0.1, 5)).toBe(4); // within ε: distance <= ε, as the reference
    expect(referenceEarlyBirdIndex([0, 0, 0], 0.1, 5)).toBe(-1);
    expect(earlyBirdIndex([0, 0, 0, 0.2, 0.1], 0.1, 1)).toBe(0);
  });

  it('the spec: absent rule is the old one, the reference rule keeps 2 to 20 masks', () => {
    expect(tinySpec({ earlyBird: {} }).earlyBird).toEqual({ epsilon: 0.1, patience: 5, prune: false });
    expect(() => tinySpec({ earlyBird: { rule: 'reference', patience: 1 } })).toThrow(/earlyBird\.patience.*2 to 20/s);
    expect(() => tinySpec({ earlyBird: { rule: 'reference', patience: 21 } })).toThrow(/earlyBird\.patience.*2 to 20/s);
    expect(tinySpec({ earlyBird: { rule: 'consecutive', patience: 1 } }).earlyBird!.rule).toBe('consecutive');
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

  it('a checkpoint written before it kept the masks (one `previous`) still resumes bit for bit', async () => {
    const straight = await trainRun(job, data);
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
    const { recent, ...rest } = saved!.earlyBird!;
    expect(recent).toHaveLength(1);
    const old: Checkpoint = { ...saved!, earlyBird: { ...rest, previous: recent![0]! } };
    const resumed = await trainRun(job, data, { restore: old });
    expect(resumed.earlyBird).toEqual(straight.earlyBird);
    expect(resumed.finalWeights).toEqual(straight.finalWeights);
  });

  it('reference rule on a pruned mask, stopping early: a checkpoint keeps the 4 masks and the resumed run is bit-identical', async () => {
    const refSpec = tinySpec({ earlyBird: { epsilon: 0.1, patience: 5, prune: true, rule: 'reference' }, training: job.spec.training });
    const mask = magnitudeMask(layers, glorotInit(layers, 9), denseMask(layers), denseMask(layers), 2, refSpec.pruning);
    const refJob = { ...job, spec: refSpec, round: 2, mask, earlyBird: { epsilon: 0.1, patience: 5, stop: true, ...earlyBirdConventions(refSpec.earlyBird!) } };
    const straight = await trainRun(refJob, data);
    const s = straight.earlyBird!;
    expect(s).toMatchObject({ rule: 'reference', distanceOver: 'survivors', stopped: true });
    expect(s.spread).toHaveLength(s.distances.length);
    const at = s.iterations.indexOf(s.detectedAt!);
    expect(at).toBeGreaterThanOrEqual(3); // the newest of 5 masks: the 5th evaluation at the earliest
    expect(s.spread![at]).toBeLessThanOrEqual(0.1);
    expect(straight.result.iterations).toBe(s.detectedAt);
    let saved: Checkpoint | null = null;
    await expect(
      trainRun(refJob, data, {
        checkpointEveryIterations: 5,
        onCheckpoint: (c) => {
          if (c.iteration === s.detectedAt! - 5) {
            saved = structuredClone(c);
            throw new Error('killed');
          }
        },
      }),
    ).rejects.toThrow('killed');
    expect(saved!.earlyBird!.recent).toHaveLength(4);
    const resumed = await trainRun(refJob, data, { restore: saved! });
    expect(resumed.earlyBird).toEqual(s);
    expect(resumed.finalWeights).toEqual(straight.finalWeights);
    expect(resumed.result.curve).toEqual(straight.result.curve);
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
