import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/main/engine/backend';
import { controlJob } from '../../src/main/engine/ablations';
import { inlineExecutor } from '../../src/main/engine/executor';
import { runImp } from '../../src/main/engine/imp';
import { planNetwork } from '../../src/main/engine/network';
import { maxPackFor, packingExecutor } from '../../src/main/engine/packed/packed-executor';
import { packChoiceFromEnv, shouldPack } from '../../src/main/engine/packed/policy';
import type { MatMulMode } from '../../src/main/engine/packed/packed-model';
import { trainPacked, type PackMember } from '../../src/main/engine/packed/packed-trainer';
import { magnitudeMask } from '../../src/main/engine/prune';
import { trialSeed } from '../../src/main/engine/random';
import { AbortedError, trainRun, type TrainHooks } from '../../src/main/engine/trainer';
import { checkpointKey, emptyResumeState, type Checkpoint, type ExperimentSink, type Mask, type TrainJob, type TrainOutcome, type WeightSet } from '../../src/main/engine/types';
import { denseMask, glorotInit } from '../../src/main/engine/weights';
import type { RunResult } from '../../src/shared/results';
import type { ExperimentSpec } from '../../src/shared/spec';
import { quadrantDataset, tinySpec } from './synthetic';

/**
 * Packed training (issue 11) against the one-run trainer. Stated tolerance: on wasm (split matMuls) and on the cpu
 * backend (batched matMuls) every number is bit-identical to training the run alone: final weights, θk, every curve
 * point, the early-stop point, and so every mask IMP derives. The tests assert exact equality and print the largest
 * difference seen, so a loosening shows up as a failure, not as drift.
 */
const data = quadrantDataset(400, 200, 3);

beforeAll(async () => {
  await initBackend('wasm');
});

function maxDiff(a: WeightSet, b: WeightSet): number {
  let d = 0;
  [...a.kernels, ...a.biases].forEach((x, i) => {
    const y = [...b.kernels, ...b.biases][i]!;
    expect(x.length).toBe(y.length);
    for (let j = 0; j < x.length; j++) d = Math.max(d, Math.abs(x[j]! - y[j]!));
  });
  return d;
}

function expectSameOutcome(packed: TrainOutcome, alone: TrainOutcome): number {
  const d = maxDiff(packed.finalWeights, alone.finalWeights);
  expect(d).toBe(0);
  const { durationMs: _a, ...p } = packed.result;
  const { durationMs: _b, ...q } = alone.result;
  expect(p).toEqual(q);
  if (alone.captured) expect(maxDiff(packed.captured!, alone.captured)).toBe(0);
  else expect(packed.captured).toBeNull();
  return d;
}

/** Trains the jobs as one pack; resolves with every outcome (or error) in job order. */
async function pack(jobs: TrainJob[], hooks: (i: number) => TrainHooks = () => ({}), mode?: MatMulMode): Promise<(TrainOutcome | Error)[]> {
  const outs: Promise<TrainOutcome | Error>[] = [];
  const members: PackMember[] = jobs.map((job, i) => {
    let resolve!: (o: TrainOutcome) => void;
    let reject!: (e: Error) => void;
    outs.push(new Promise<TrainOutcome>((res, rej) => ((resolve = res), (reject = rej))).catch((e: Error) => e));
    return { job, hooks: hooks(i), resolve, reject };
  });
  await trainPacked(members, data, { mode });
  return Promise.all(outs);
}

/** Jobs of mixed variants, rounds, trials and start iterations, as one IMP experiment submits them. */
function mixedJobs(spec: ExperimentSpec, n: number): TrainJob[] {
  const { layers } = planNetwork(spec.network, data.shape, data.numClasses);
  const jobs: TrainJob[] = [];
  for (let i = 0; jobs.length < n; i++) {
    const trial = i % 3;
    const round = 1 + (i % 2);
    const seed = trialSeed(spec, trial);
    const init = glorotInit(layers, seed);
    const dense = denseMask(layers);
    let mask: Mask = dense;
    for (let r = 1; r <= round; r++) mask = magnitudeMask(layers, init, mask, dense, r, spec.pruning);
    const start = i % 4 === 0 ? 0 : 10;
    const at = { trial, round, init, mask, start };
    const kind = i % 3;
    if (kind === 0) jobs.push({ spec, trial, variant: 'ticket', round, init, mask, startIteration: start, captureAt: null });
    else jobs.push(controlJob(spec, layers, seed, kind === 1 ? 'reinit' : 'random', at, kind === 1 ? 0 : start));
  }
  return jobs;
}

describe('packed training on wasm: identical to each run trained alone', () => {
  for (const R of [1, 3, 8]) {
    it(`R = ${R}: mixed variants, trials, rounds and start iterations (Adam)`, async () => {
      const spec = tinySpec({ engineVersion: 2, training: { optimizer: 'adam', learningRate: 0.01, batchSize: 20, iterations: 40, evalInterval: 10, validationSize: 100 } });
      const jobs = mixedJobs(spec, R);
      const packed = await pack(jobs);
      let worst = 0;
      for (let i = 0; i < R; i++) {
        const alone = await trainRun(jobs[i]!, data);
        worst = Math.max(worst, expectSameOutcome(packed[i] as TrainOutcome, alone));
      }
      console.log(`packed R=${R} vs alone on wasm: max |weight diff| ${worst}`);
    });
  }

  it('SGD with momentum, a warmup + step schedule, weight decay, dropout, fine-tuning at the final rate and θk capture', async () => {
    const spec = tinySpec({
      engineVersion: 2,
      network: { conv: [], dense: [16, 12], dropout: 0.3 },
      training: {
        optimizer: 'sgd',
        momentum: 0.9,
        learningRate: 0.05,
        batchSize: 20,
        iterations: 30,
        evalInterval: 7,
        validationSize: 100,
        weightDecay: 1e-3,
        schedule: { warmupIterations: 5, milestones: [20], gamma: 0.1 },
      },
    });
    const jobs = mixedJobs(spec, 4);
    jobs[0] = { ...jobs[0]!, captureAt: 5, startIteration: 0 };
    jobs[1] = { ...jobs[1]!, lrPolicy: 'final' };
    const packed = await pack(jobs);
    for (let i = 0; i < jobs.length; i++) expectSameOutcome(packed[i] as TrainOutcome, await trainRun(jobs[i]!, data));
  });

  it('on the cpu backend the batched-matMul path is bit-identical too', async () => {
    await initBackend('cpu');
    try {
      const spec = tinySpec({ engineVersion: 2, training: { optimizer: 'adam', learningRate: 0.01, batchSize: 10, iterations: 12, evalInterval: 6, validationSize: 50 } });
      const jobs = mixedJobs(spec, 3);
      const packed = await pack(jobs, undefined, 'batched');
      for (let i = 0; i < jobs.length; i++) expectSameOutcome(packed[i] as TrainOutcome, await trainRun(jobs[i]!, data));
    } finally {
      await initBackend('wasm');
    }
  });

  it('checkpoints are interchangeable: packed -> resumed alone, alone -> resumed packed, both equal the uninterrupted run', async () => {
    const spec = tinySpec({ engineVersion: 2 });
    const jobs = mixedJobs(spec, 3);
    const alone = await Promise.all(jobs.map((j) => trainRun(j, data)));
    // Packed runs checkpoint every 15 iterations; take each run's first checkpoint.
    const fromPack = new Map<number, Checkpoint>();
    await pack(jobs, (i) => ({ checkpointEveryIterations: 15, onCheckpoint: (c) => !fromPack.has(i) && fromPack.set(i, c) }));
    expect(fromPack.size).toBe(3);
    for (let i = 0; i < jobs.length; i++) expectSameOutcome(await trainRun(jobs[i]!, data, { restore: fromPack.get(i) }), alone[i]!);
    // One-run checkpoints, resumed as one pack (each at its own iteration).
    const fromAlone: Checkpoint[] = [];
    for (const j of jobs) {
      let first: Checkpoint | null = null;
      await trainRun(j, data, { checkpointEveryIterations: 15, onCheckpoint: (c) => (first ??= c) });
      fromAlone.push(first!);
    }
    const resumed = await pack(jobs, (i) => ({ restore: fromAlone[i] }));
    for (let i = 0; i < jobs.length; i++) expectSameOutcome(resumed[i] as TrainOutcome, alone[i]!);
  });

  it('a run stopped mid-pack leaves with AbortedError; the others finish unchanged', async () => {
    const spec = tinySpec({ engineVersion: 2, training: { optimizer: 'adam', learningRate: 0.01, batchSize: 20, iterations: 150, evalInterval: 50, validationSize: 100 } });
    const jobs = mixedJobs(spec, 3);
    const stop = new AbortController();
    let seen = 0;
    const outs = await pack(jobs, (i) =>
      i === 1
        ? {
            signal: stop.signal,
            onProgress: (p) => {
              seen = p.iteration;
              if (p.iteration > p.startIteration) stop.abort();
            },
          }
        : {},
    );
    expect(seen).toBeGreaterThan(0);
    expect(outs[1]).toBeInstanceOf(AbortedError);
    for (const i of [0, 2]) expectSameOutcome(outs[i] as TrainOutcome, await trainRun(jobs[i]!, data));
  });

  it("--pack / LTH_PACK: auto packs dense networks on GPU backends only, on/off force it, conv never", () => {
    const lenet = planNetwork({ conv: [], dense: [300, 100], dropout: 0 }, [28, 28, 1], 10);
    const conv = planNetwork({ conv: [8, 'pool'], dense: [16], dropout: 0 }, [8, 8, 1], 4);
    expect(shouldPack('auto', 'webgpu', lenet)).toBe(true);
    expect(shouldPack('auto', 'tensorflow-gpu', lenet)).toBe(true);
    expect(shouldPack('auto', 'wasm', lenet)).toBe(false);
    expect(shouldPack('auto', 'cpu', lenet)).toBe(false);
    expect(shouldPack('on', 'wasm', lenet)).toBe(true);
    expect(shouldPack('off', 'webgpu', lenet)).toBe(false);
    expect(shouldPack('on', 'webgpu', conv)).toBe(false);
    expect(packChoiceFromEnv({})).toBe('auto');
    expect(packChoiceFromEnv({ LTH_PACK: 'OFF' })).toBe('off');
    expect(() => packChoiceFromEnv({ LTH_PACK: 'sometimes' })).toThrow(/LTH_PACK/);
  });

  it('the memory bound limits R', () => {
    const lenet = planNetwork({ conv: [], dense: [300, 100], dropout: 0 }, [28, 28, 1], 10);
    expect(maxPackFor(lenet, 60)).toBe(16);
    expect(maxPackFor(lenet, 60, { memoryBudget: 64 * 1024 ** 2 })).toBeLessThan(8);
    expect(maxPackFor(lenet, 60, { memoryBudget: 1 })).toBe(1);
  });
});

function memorySink() {
  const s = { masks: new Map<string, Mask>(), runs: [] as RunResult[], rewind: new Map<number, WeightSet>() };
  const sink: ExperimentSink = {
    saveRewindWeights: (t, w) => s.rewind.set(t, w),
    saveMask: (t, r, m) => s.masks.set(`${t}:${r}`, m),
    saveTrainedWeights: () => undefined,
    saveRun: (r) => s.runs.push(r),
    saveCheckpoint: () => undefined,
  };
  return { ...s, sink };
}

describe('a whole IMP experiment through the packing executor equals the inline executor', () => {
  it('3 trials x (ticket, reinit, random) x 3 rounds, late rewinding (reinit from 0, the rest from k): same masks, θk and results', async () => {
    const spec = tinySpec({
      engineVersion: 2,
      trials: 3,
      controls: ['reinit', 'random'],
      training: { optimizer: 'adam', learningRate: 0.01, batchSize: 20, iterations: 30, evalInterval: 10, validationSize: 100 },
      pruning: { strategy: 'layerwise', rates: { conv: 0.1, dense: 0.2, output: 0.1 }, rounds: 3, rewindIteration: 10, reinitStart: 'zero' },
    });
    const inline = memorySink();
    await runImp({ spec, data, executor: inlineExecutor(data), sink: inline.sink, resume: emptyResumeState() });
    const packed = memorySink();
    const packs: number[] = [];
    const joins: number[] = [];
    await runImp({ spec, data, executor: packingExecutor(data, { onPack: (j) => packs.push(j.length), onJoin: (j) => joins.push(j.length) }), sink: packed.sink, resume: emptyResumeState() });
    console.log(`IMP through the packing executor: packs of ${packs.join(', ')} runs; joined while training: ${joins.join(', ') || 'none'}`);
    expect(Math.max(...packs)).toBeGreaterThanOrEqual(3);
    // Tickets from k finish before the reinit controls from 0: the next ticket rounds join the running pack.
    expect(joins.length).toBeGreaterThan(0);
    expect(packed.masks.size).toBe(inline.masks.size);
    for (const [k, m] of inline.masks) expect(packed.masks.get(k)).toEqual(m);
    for (const [t, w] of inline.rewind) expect(maxDiff(packed.rewind.get(t)!, w)).toBe(0);
    expect(packed.runs).toHaveLength(inline.runs.length);
    const strip = (r: RunResult) => ({ ...r, durationMs: 0 });
    for (const r of inline.runs) {
      const p = packed.runs.find((x) => x.trial === r.trial && x.round === r.round && x.variant === r.variant)!;
      expect(strip(p)).toEqual(strip(r));
    }
  });

  it('a stop aborts every waiting and packed run; conv networks still train (one at a time)', async () => {
    const spec = tinySpec({ engineVersion: 2, trials: 2, controls: ['reinit'] });
    const stop = new AbortController();
    const ex = packingExecutor(data);
    const m = memorySink();
    const run = runImp({ spec, data, executor: ex, sink: m.sink, resume: emptyResumeState(), signal: stop.signal, onProgress: (p) => p.iteration > 5 && stop.abort() });
    await expect(run).rejects.toBeInstanceOf(AbortedError);
    const conv = tinySpec({ engineVersion: 2, network: { conv: [4, 'pool'], dense: [8], dropout: 0 }, pruning: { strategy: 'layerwise', rates: { conv: 0.1, dense: 0.2, output: 0.1 }, rounds: 2, rewindIteration: 0 }, training: { optimizer: 'adam', learningRate: 0.01, batchSize: 20, iterations: 10, evalInterval: 10, validationSize: 100 } });
    const a = memorySink();
    const b = memorySink();
    await runImp({ spec: conv, data, executor: inlineExecutor(data), sink: a.sink, resume: emptyResumeState() });
    const packs: number[] = [];
    await runImp({ spec: conv, data, executor: packingExecutor(data, { onPack: (j) => packs.push(j.length) }), sink: b.sink, resume: emptyResumeState() });
    expect(packs).toEqual([]);
    for (const [k, mk] of a.masks) expect(b.masks.get(k)).toEqual(mk);
  });

  it('a pack leaves no tensors behind (finished, stopped and shrunk runs included)', async () => {
    const spec = tinySpec({ engineVersion: 2, training: { optimizer: 'adam', learningRate: 0.01, batchSize: 20, iterations: 20, evalInterval: 10, validationSize: 100 } });
    const jobs = mixedJobs(spec, 4);
    const before = tf.memory().numTensors;
    const stop = new AbortController();
    stop.abort();
    await pack(jobs, (i) => (i === 2 ? { signal: stop.signal } : { checkpointEveryIterations: 5, onCheckpoint: () => undefined }));
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('a stopped run keeps its work (pause, Ctrl-C, closing the window)', () => {
  const spec = tinySpec({ engineVersion: 2, training: { optimizer: 'adam', learningRate: 0.01, batchSize: 20, iterations: 150, evalInterval: 50, validationSize: 100 } });

  /** Stops the run once it has trained past its start, and keeps the checkpoint it leaves (no timed checkpoints). */
  function stopMidway(stop: AbortController, saved: Checkpoint[]): TrainHooks {
    return {
      signal: stop.signal,
      checkpointEveryMs: Infinity,
      onCheckpoint: (c) => saved.push(c),
      onProgress: (p) => {
        if (p.iteration > p.startIteration + 10) stop.abort();
      },
    };
  }

  it('one run: the stop leaves a checkpoint mid-run, and resuming from it ends bit-identical to an uninterrupted run', async () => {
    const [job] = mixedJobs(spec, 1);
    const straight = await trainRun(job!, data);
    const saved: Checkpoint[] = [];
    await expect(trainRun(job!, data, stopMidway(new AbortController(), saved))).rejects.toBeInstanceOf(AbortedError);
    expect(saved).toHaveLength(1);
    expect(saved[0]!.iteration).toBeGreaterThan(10);
    expect(saved[0]!.iteration).toBeLessThan(150);
    expectSameOutcome(await trainRun(job!, data, { restore: saved[0]! }), straight);
  });

  it('a packed run stopped mid-pack leaves its checkpoint, and resumes bit-identical', async () => {
    const jobs = mixedJobs(spec, 3);
    const straight = await trainRun(jobs[1]!, data);
    const saved: Checkpoint[] = [];
    const outs = await pack(jobs, (i) => (i === 1 ? stopMidway(new AbortController(), saved) : {}));
    expect(outs[1]).toBeInstanceOf(AbortedError);
    expect(saved).toHaveLength(1);
    expect(saved[0]!.iteration).toBeLessThan(150);
    expectSameOutcome(await trainRun(jobs[1]!, data, { restore: saved[0]! }), straight);
  });
});

describe('many runs waiting on one experiment', () => {
  it('15 trials through the packing executor print no MaxListenersExceededWarning (every waiting run listens to the one stop signal)', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const spec = tinySpec({ engineVersion: 2, trials: 15, controls: [], pruning: { strategy: 'layerwise', rates: { conv: 0.1, dense: 0.2, output: 0.1 }, rounds: 1, rewindIteration: 0 }, training: { optimizer: 'adam', learningRate: 0.01, batchSize: 20, iterations: 4, evalInterval: 4, validationSize: 100 } });
      const m = memorySink();
      const packs: number[] = [];
      await runImp({ spec, data, executor: packingExecutor(data, { onPack: (j) => packs.push(j.length) }), sink: m.sink, resume: emptyResumeState(), signal: new AbortController().signal });
      expect(m.runs).toHaveLength(15);
      expect(Math.max(...packs)).toBeGreaterThan(10);
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((w) => /MaxListeners/.test(w))).toEqual([]);
  });
});
