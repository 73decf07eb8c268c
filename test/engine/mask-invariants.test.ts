import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/main/engine/backend';
import { inlineExecutor } from '../../src/main/engine/executor';
import { runImp } from '../../src/main/engine/imp';
import { planNetwork } from '../../src/main/engine/network';
import { trialSeed } from '../../src/main/engine/random';
import { magnitudeMask, randomMask } from '../../src/main/engine/prune';
import { trainRun } from '../../src/main/engine/trainer';
import { checkpointKey, type Checkpoint, type ExperimentSink, type Mask, type WeightSet } from '../../src/main/engine/types';
import { emptyResumeState } from '../../src/main/engine/types';
import { denseMask, glorotInit, maskCounts } from '../../src/main/engine/weights';
import type { RunResult } from '../../src/shared/results';
import { quadrantDataset, tinySpec } from './synthetic';
import { memorySink } from './memory-sink';


const data = quadrantDataset();

beforeAll(async () => {
  await initBackend('wasm');
});

describe('pruned weights', () => {
  it('stay exactly zero through training with Adam, and surviving weights move', async () => {
    const spec = tinySpec();
    const { layers } = planNetwork(spec.network, data.shape, data.numClasses);
    const init = glorotInit(layers, 3);
    const mask = randomMask(denseMask(layers), 11).map((m, i) => (i === 0 ? m.map((_, j) => (j % 3 === 0 ? 0 : 1)) : m));
    const out = await trainRun({ spec, trial: 0, variant: 'ticket', round: 1, init, mask, startIteration: 0, captureAt: null }, data);
    let moved = 0;
    out.finalWeights.kernels.forEach((k, l) => {
      for (let j = 0; j < k.length; j++) {
        if (mask[l]![j] === 0) expect(Object.is(k[j], 0) || Object.is(k[j], -0)).toBe(true);
        else if (k[j] !== init.kernels[l]![j]) moved++;
      }
    });
    expect(moved).toBeGreaterThan(100);
    expect(out.result.curve.at(-1)!.valAccuracy).toBeGreaterThan(0.5);
  });

  it('stay zero with SGD momentum too', async () => {
    const spec = tinySpec({ training: { optimizer: 'sgd', learningRate: 0.05, momentum: 0.9, batchSize: 20, iterations: 20, evalInterval: 10, validationSize: 100 } });
    const { layers } = planNetwork(spec.network, data.shape, data.numClasses);
    const mask = layers.map((l) => Uint8Array.from({ length: l.weights }, (_, j) => j % 2));
    const out = await trainRun({ spec, trial: 0, variant: 'ticket', round: 1, init: glorotInit(layers, 1), mask, startIteration: 0, captureAt: null }, data);
    out.finalWeights.kernels.forEach((k, l) => k.forEach((v, j) => mask[l]![j] === 0 && expect(v === 0).toBe(true)));
  });
});

describe('magnitude pruning', () => {
  const spec = tinySpec();
  const { layers } = planNetwork(spec.network, data.shape, data.numClasses);
  const weights = glorotInit(layers, 5);
  const base = denseMask(layers);

  it('after k rounds each layer keeps (1-p)^k of its weights, within one weight', () => {
    let mask = base;
    for (let round = 1; round <= 6; round++) {
      mask = magnitudeMask(layers, weights, mask, base, round, spec.pruning);
      maskCounts(mask).forEach((kept, i) => {
        const rate = spec.pruning.rates[layers[i]!.kind];
        expect(Math.abs(kept - layers[i]!.weights * (1 - rate) ** round)).toBeLessThanOrEqual(1);
      });
    }
  });

  it('keeps the largest magnitudes of each layer (layer-wise)', () => {
    const mask = magnitudeMask(layers, weights, base, base, 1, spec.pruning);
    layers.forEach((_, i) => {
      const k = weights.kernels[i]!;
      let minKept = Infinity;
      let maxPruned = 0;
      k.forEach((v, j) => {
        if (mask[i]![j]) minKept = Math.min(minKept, Math.abs(v));
        else maxPruned = Math.max(maxPruned, Math.abs(v));
      });
      expect(minKept).toBeGreaterThanOrEqual(maxPruned);
    });
  });

  it('global pruning ranks across layers: per-layer densities differ, the pooled count is exact', () => {
    // Scale one layer up: a global threshold must then spare it and prune the others harder.
    const scaled: WeightSet = { kernels: weights.kernels.map((k, i) => (i === 1 ? k.map((v) => v * 10) : k.slice())), biases: weights.biases };
    const pruning = { ...spec.pruning, strategy: 'global' as const, globalRate: 0.5, rates: { conv: 0.1, dense: 0.2, output: 0 } };
    const g = magnitudeMask(layers, scaled, base, base, 1, pruning);
    const l = magnitudeMask(layers, scaled, base, base, 1, { ...pruning, strategy: 'layerwise' });
    const kept = maskCounts(g);
    expect(kept[1]! / layers[1]!.weights).toBeGreaterThan(0.85); // the scaled layer is spared
    expect(kept[0]! / layers[0]!.weights).toBeLessThan(0.45); // the others pay for it
    expect(kept[2]).toBe(layers[2]!.weights); // rate 0: not in the pool
    expect(kept[0]! + kept[1]!).toBe(Math.round((layers[0]!.weights + layers[1]!.weights) * 0.5));
    expect(maskCounts(l)[1]).toBe(Math.round(layers[1]!.weights * 0.8));
  });

  it('random masks keep the same count per layer at other positions', () => {
    const ticket = magnitudeMask(layers, weights, base, base, 2, spec.pruning);
    const rnd = randomMask(ticket, 99);
    expect(maskCounts(rnd)).toEqual(maskCounts(ticket));
    expect(rnd.some((m, i) => m.some((v, j) => v !== ticket[i]![j]))).toBe(true);
    expect(randomMask(ticket, 99)).toEqual(rnd);
  });
});

describe('IMP driver', () => {
  it('rewinds to the saved init, shares the mask with reinit, and not the weights', async () => {
    const spec = tinySpec({ controls: ['reinit', 'random'] });
    const mem = memorySink();
    const seen: { variant: string; round: number; init: WeightSet; mask: Mask }[] = [];
    const base = inlineExecutor(data);
    const executor = { ...base, run: (job: Parameters<typeof base.run>[0], p: number, h: Parameters<typeof base.run>[2]) => (seen.push(job), base.run(job, p, h)) };
    await runImp({ spec, data, executor, sink: mem.sink, resume: emptyResumeState() });

    const { layers } = planNetwork(spec.network, data.shape, data.numClasses);
    const theta0 = glorotInit(layers, trialSeed(spec, 0));
    expect(mem.rewind.get(0)).toEqual(theta0);
    for (const job of seen.filter((j) => j.variant === 'ticket' && j.round > 0)) expect(job.init).toEqual(theta0);
    for (let round = 1; round < 3; round++) {
      const ticket = seen.find((j) => j.variant === 'ticket' && j.round === round)!;
      const reinit = seen.find((j) => j.variant === 'reinit' && j.round === round)!;
      const random = seen.find((j) => j.variant === 'random' && j.round === round)!;
      expect(reinit.mask).toEqual(ticket.mask);
      expect(reinit.init.kernels[0]).not.toEqual(ticket.init.kernels[0]);
      expect(random.init).toEqual(ticket.init);
      expect(maskCounts(random.mask)).toEqual(maskCounts(ticket.mask));
      expect(random.mask).not.toEqual(ticket.mask);
    }
    // Round 0 is the dense network: no controls there.
    expect(seen.filter((j) => j.round === 0).map((j) => j.variant)).toEqual(['ticket']);
    expect(mem.runs).toHaveLength(1 + 2 * 3);
    const total = layers.reduce((a, l) => a + l.weights, 0);
    const expected = [0, 1, 2].map((k) => layers.reduce((a, l) => a + Math.round(l.weights * (1 - spec.pruning.rates[l.kind]) ** k), 0) / total);
    expect(mem.runs.filter((r) => r.variant === 'ticket').map((r) => r.weightsRemaining)).toEqual(expected);
  });

  it('late rewinding starts pruned rounds from the weights captured at iteration k', async () => {
    const spec = tinySpec({ pruning: { strategy: 'layerwise', rates: { conv: 0.1, dense: 0.2, output: 0.1 }, rounds: 2, rewindIteration: 10 } });
    const mem = memorySink();
    await runImp({ spec, data, executor: inlineExecutor(data), sink: mem.sink, resume: emptyResumeState() });
    const { layers } = planNetwork(spec.network, data.shape, data.numClasses);
    expect(mem.rewind.get(0)!.kernels[0]).not.toEqual(glorotInit(layers, trialSeed(spec, 0)).kernels[0]);
    const round1 = mem.runs.find((r) => r.round === 1)!;
    expect(round1.iterations).toBe(30);
    expect(round1.curve[0]!.iteration).toBe(10);
  });

  it('is deterministic: same spec, seed and backend give the same masks and metrics', async () => {
    const spec = tinySpec({ controls: ['random'] });
    const a = memorySink();
    const b = memorySink();
    await runImp({ spec, data, executor: inlineExecutor(data), sink: a.sink, resume: emptyResumeState() });
    await runImp({ spec, data, executor: inlineExecutor(data), sink: b.sink, resume: emptyResumeState() });
    expect([...b.masks.entries()]).toEqual([...a.masks.entries()]);
    const strip = (runs: RunResult[]) => runs.map(({ durationMs: _d, ...r }) => r);
    expect(strip(b.runs)).toEqual(strip(a.runs));
  });

  it('resumes from what the sink kept and gives the results of an uninterrupted run', async () => {
    const spec = tinySpec({ controls: ['reinit'] });
    const full = memorySink();
    await runImp({ spec, data, executor: inlineExecutor(data), sink: full.sink, resume: emptyResumeState() });

    // Stop after the first two runs finish, then resume from what was stored.
    const part = memorySink();
    const stop = new AbortController();
    await expect(
      runImp({ spec, data, executor: inlineExecutor(data), sink: part.sink, resume: emptyResumeState(), signal: stop.signal, onRun: () => part.runs.length >= 2 && stop.abort() }),
    ).rejects.toThrow();
    expect(part.runs.length).toBeLessThan(full.runs.length);
    const resume = { rewindWeights: part.rewind, masks: part.masks, trainedWeights: part.trained, runs: [...part.runs], checkpoints: part.checkpoints };
    await runImp({ spec, data, executor: inlineExecutor(data), sink: part.sink, resume });
    const key = (r: RunResult) => `${r.trial}:${r.variant}:${r.round}`;
    const strip = (runs: RunResult[]) => new Map(runs.map(({ durationMs: _d, ...r }) => [key(r as RunResult), r]));
    expect(strip(part.runs)).toEqual(strip(full.runs));
  });

  it('a run continued from a mid-run checkpoint ends exactly where an uninterrupted run does', async () => {
    const spec = tinySpec({ training: { optimizer: 'adam', learningRate: 0.01, batchSize: 20, iterations: 200, evalInterval: 50, validationSize: 100 } });
    const { layers } = planNetwork(spec.network, data.shape, data.numClasses);
    const job = { spec, trial: 0, variant: 'ticket' as const, round: 0, init: glorotInit(layers, 2), mask: denseMask(layers), startIteration: 0, captureAt: null };
    const straight = await trainRun(job, data);

    // An iteration-based trigger: the checkpoint lands at iteration 130 whatever the machine's speed, and
    // the run dies right there (a throw from the save, as a kill would).
    let saved: Checkpoint | null = null;
    await expect(
      trainRun(job, data, {
        checkpointEveryIterations: 65,
        onCheckpoint: (c) => {
          if (c.iteration === 130) {
            saved = structuredClone(c);
            throw new Error('killed');
          }
        },
      }),
    ).rejects.toThrow('killed');
    expect(saved!.iteration).toBe(130);
    const resumed = await trainRun(job, data, { restore: saved! });
    expect(resumed.finalWeights).toEqual(straight.finalWeights);
    expect(resumed.result.curve).toEqual(straight.result.curve);
  });

  it('cpu and wasm backends agree on the masks of a short experiment', async () => {
    const spec = tinySpec({ pruning: { strategy: 'layerwise', rates: { conv: 0.1, dense: 0.2, output: 0.1 }, rounds: 2, rewindIteration: 0 } });
    const wasm = memorySink();
    await runImp({ spec, data, executor: inlineExecutor(data), sink: wasm.sink, resume: emptyResumeState() });
    await initBackend('cpu');
    try {
      const cpu = memorySink();
      await runImp({ spec, data, executor: inlineExecutor(data), sink: cpu.sink, resume: emptyResumeState() });
      // Float summation order differs between backends, so a few borderline magnitudes may swap.
      const diff = (a: Mask, b: Mask) => a.reduce((n, m, i) => n + m.reduce((s, v, j) => s + (v !== b[i]![j] ? 1 : 0), 0), 0);
      expect(diff(cpu.masks.get('0:1')!, wasm.masks.get('0:1')!)).toBeLessThanOrEqual(4);
      const acc = (m: ReturnType<typeof memorySink>) => m.runs.find((r) => r.round === 1)!.finalTestAccuracy;
      expect(Math.abs(acc(cpu) - acc(wasm))).toBeLessThan(0.03);
    } finally {
      await initBackend('wasm');
    }
  });
});

describe('conv presets', () => {
  it.each([
    ['conv2', [64, 64, 'pool'], 4_300_992],
    ['conv4', [64, 64, 'pool', 128, 128, 'pool'], 2_425_024],
    ['conv6', [64, 64, 'pool', 128, 128, 'pool', 256, 256, 'pool'], 2_261_184],
  ] as const)('%s on 32x32x3 has the described layers and weight count', (_name, conv, weights) => {
    const { layers } = planNetwork({ conv: [...conv], dense: [256, 256], dropout: 0 }, [32, 32, 3], 10);
    expect(layers.reduce((a, l) => a + l.weights, 0)).toBe(weights);
    expect(layers.at(-1)!.shape).toEqual([256, 10]);
    expect(layers.filter((l) => l.kind === 'conv').map((l) => l.shape[3])).toEqual(conv.filter((c) => c !== 'pool'));
  });

  it('a masked conv net trains a few steps on wasm (which lacks a filter-gradient kernel) and keeps pruned weights at zero', async () => {
    const cifarLike = { ...quadrantDataset(120, 40), shape: [8, 8, 3] as [number, number, number], mean: [0.3, 0.3, 0.3], std: [0.25, 0.25, 0.25] };
    const rgb = (g: Uint8Array) => Uint8Array.from({ length: g.length * 3 }, (_, i) => g[Math.floor(i / 3)]!);
    const data3 = { ...cifarLike, trainImages: rgb(cifarLike.trainImages), testImages: rgb(cifarLike.testImages) };
    const spec = tinySpec({ network: { conv: [8, 8, 'pool'], dense: [16], dropout: 0.5 }, training: { optimizer: 'adam', learningRate: 0.01, batchSize: 20, iterations: 30, evalInterval: 10, validationSize: 40 } });
    const { layers } = planNetwork(spec.network, data3.shape, data3.numClasses);
    const mask = layers.map((l) => Uint8Array.from({ length: l.weights }, (_, j) => (j % 4 === 0 ? 0 : 1)));
    const init = glorotInit(layers, 1);
    const out = await trainRun({ spec, trial: 0, variant: 'ticket', round: 1, init, mask, startIteration: 0, captureAt: null }, data3);
    out.finalWeights.kernels.forEach((k, l) => k.forEach((v, j) => mask[l]![j] === 0 && expect(v).toBe(0)));
    expect(out.finalWeights.kernels[0]).not.toEqual(init.kernels[0]);
    // Chance is 0.25. A correct run ends at 1.0 on these 40 images: measured for quadrant data seeds 1-3 × init seeds
    // 1-3 × spec seeds 8-10, every one 1.0 by iteration 20; 0.95 leaves two images for other seeds.
    expect(out.result.curve.at(-1)!.valAccuracy).toBeGreaterThanOrEqual(0.95);
  });
});
