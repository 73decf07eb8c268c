import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/main/engine/backend';
import { planNetwork } from '../../src/main/engine/network';
import { trainPacked, type PackMember } from '../../src/main/engine/packed/packed-trainer';
import { trialSeed } from '../../src/main/engine/random';
import { AbortedError, trainRun, type TrainHooks } from '../../src/main/engine/trainer';
import type { Checkpoint, TrainJob, TrainOutcome } from '../../src/main/engine/types';
import { denseMask, glorotInit } from '../../src/main/engine/weights';
import { TRAIN_LOSS_WINDOW } from '../../src/shared/results';
import type { ExperimentSpec } from '../../src/shared/spec';
import { quadrantDataset, tinySpec } from './synthetic';

/** The training loss per 10 steps (RunResult.trainLossSteps): what it holds, and that resume and packing keep it exact. */
const data = quadrantDataset(400, 200, 3);
const spec = (evalInterval: number, iterations = 150): ExperimentSpec =>
  tinySpec({ engineVersion: 2, training: { optimizer: 'adam', learningRate: 0.01, batchSize: 20, iterations, evalInterval, validationSize: 100 } });

function job(s: ExperimentSpec, trial = 0, startIteration = 0): TrainJob {
  const { layers } = planNetwork(s.network, data.shape, data.numClasses);
  return { spec: s, trial, variant: 'ticket', round: 0, init: glorotInit(layers, trialSeed(s, trial)), mask: denseMask(layers), startIteration, captureAt: null };
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe('training loss per 10 steps', () => {
  it('entry i is the mean of the losses of steps 10i+1..10i+10, the same steps a per-step evaluation sees', async () => {
    expect(TRAIN_LOSS_WINDOW).toBe(10);
    // Evaluating every step makes each curve point's training loss that one step's loss: the reference.
    const perStep = await trainRun(job(spec(1, 45)), data);
    const losses = perStep.result.curve.slice(1).map((p) => p.trainLoss!);
    expect(losses).toHaveLength(45);
    const out = await trainRun(job(spec(50, 45)), data);
    const expected: number[] = [];
    for (let i = 0; i < 45; i += 10) {
      const w = losses.slice(i, i + 10);
      expected.push(Math.fround(w.reduce((a, b) => a + b, 0) / w.length));
    }
    // 4 full windows and the last 5 steps.
    expect(out.result.trainLossSteps).toEqual(expected);
    expect(perStep.result.trainLossSteps).toEqual(expected);
    // The evaluation curve still holds only 2 points of training loss (the mean since the previous evaluation).
    expect(out.result.curve.filter((p) => p.trainLoss !== null)).toHaveLength(1);
  });

  it('a run that starts at a rewind point records from there; 150 iterations give 15 entries, not 3', async () => {
    const out = await trainRun(job(spec(50)), data);
    expect(out.result.trainLossSteps).toHaveLength(15);
    expect(new Set(out.result.trainLossSteps).size).toBe(15);
    const rewound = await trainRun(job(spec(50), 0, 20), data);
    expect(rewound.result.trainLossSteps).toHaveLength(13);
  });

  it('a run stopped at iteration 37 (mid-window) and resumed records the same bits as one never stopped; a checkpoint without the record gives none', async () => {
    const j = job(spec(50));
    const straight = await trainRun(j, data);
    const saved: Checkpoint[] = [];
    const stop = new AbortController();
    const hooks: TrainHooks = { signal: stop.signal, checkpointEveryIterations: 37, onCheckpoint: (c) => (saved.push(c), stop.abort()), checkpointEveryMs: Infinity };
    await expect(trainRun(j, data, hooks)).rejects.toBeInstanceOf(AbortedError);
    expect(saved[0]!.iteration).toBe(37);
    expect(saved[0]!.lossTrace!.means).toHaveLength(3);
    expect(saved[0]!.lossTrace!.tail).toHaveLength(7);
    const resumed = await trainRun(j, data, { restore: saved[0]! });
    expect(resumed.result.trainLossSteps).toEqual(straight.result.trainLossSteps);
    const { lossTrace: _gone, ...old } = saved[0]!;
    const fromOld = await trainRun(j, data, { restore: old });
    expect(fromOld.result.trainLossSteps).toBeUndefined();
    expect(fromOld.result.curve).toEqual(straight.result.curve);
  });

  it('the packed trainer records the same, also for a run resumed into a pack', async () => {
    const s = spec(50, 60);
    const jobs = [job(s, 0), job(s, 1), job(s, 2, 10)];
    const alone = await Promise.all(jobs.map((j) => trainRun(j, data)));
    const saved: Checkpoint[] = [];
    const stop = new AbortController();
    await expect(trainRun(jobs[1]!, data, { signal: stop.signal, checkpointEveryIterations: 23, onCheckpoint: (c) => (saved.push(c), stop.abort()), checkpointEveryMs: Infinity })).rejects.toBeInstanceOf(AbortedError);
    const outs: Promise<TrainOutcome>[] = [];
    const members: PackMember[] = jobs.map((j, i) => {
      let resolve!: (o: TrainOutcome) => void;
      let reject!: (e: Error) => void;
      outs.push(new Promise<TrainOutcome>((res, rej) => ((resolve = res), (reject = rej))));
      return { job: j, hooks: i === 1 ? { restore: saved[0]! } : {}, resolve, reject };
    });
    await trainPacked(members, data);
    const packed = await Promise.all(outs);
    for (let i = 0; i < 3; i++) {
      expect(packed[i]!.result.trainLossSteps).toHaveLength(i === 2 ? 5 : 6);
      expect(packed[i]!.result.trainLossSteps).toEqual(alone[i]!.result.trainLossSteps);
    }
  });
});
