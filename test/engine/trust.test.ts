import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/main/engine/backend';
import { channelStats, channelStatsOf } from '../../src/main/engine/data/stats';
import { splitNormalizationTable, splitTrainValidation } from '../../src/main/engine/data/batches';
import { inlineExecutor } from '../../src/main/engine/executor';
import { plannedIterations, runImp, startIteration } from '../../src/main/engine/imp';
import { planNetwork } from '../../src/main/engine/network';
import { deriveSeed, trialSeed } from '../../src/main/engine/random';
import { earlyStopPoint, trainRun } from '../../src/main/engine/trainer';
import { trialData } from '../../src/main/engine/trial-data';
import { checkpointKey, emptyResumeState, type Checkpoint, type ExperimentSink, type Mask, type ResumeState, type WeightSet } from '../../src/main/engine/types';
import { denseMask, glorotInit } from '../../src/main/engine/weights';
import { chooseWinningTicket } from '../../src/shared/aggregate';
import type { EvalPoint, LayerInfo, RunResult } from '../../src/shared/results';
import { quadrantDataset, tinySpec } from './synthetic';
import { memorySink, withoutTimes } from './memory-sink';

/*
 * Each test here pins a defect or a property that no earlier test could catch (issue 9): it fails on the
 * code before the fix.
 */

const data = quadrantDataset();



beforeAll(async () => {
  await initBackend('wasm');
});

describe('trial seeds (defect 4)', () => {
  it('seed s trial 1 is not seed s+1 trial 0 in engine v2; v1 specs keep seed + t', () => {
    expect(trialSeed({ seed: 7, engineVersion: 2 }, 1)).not.toBe(trialSeed({ seed: 8, engineVersion: 2 }, 0));
    expect(trialSeed({ seed: 7, engineVersion: 2 }, 1)).toBe(deriveSeed(7, 'trial', 1));
    expect(trialSeed({ seed: 7, engineVersion: 1 }, 1)).toBe(8);
    expect(trialSeed({ seed: 7 }, 1)).toBe(8); // a stored spec without a version is version 1
  });

  it('new specs are engine v2, and the version is part of the spec (so of its hash)', () => {
    expect(tinySpec().engineVersion).toBe(2);
    expect(tinySpec({ engineVersion: 1 }).engineVersion).toBe(1);
  });

  it('two experiments with adjacent base seeds share no run', async () => {
    const a = memorySink();
    const b = memorySink();
    const spec = (seed: number, trials: number) => tinySpec({ seed, trials, pruning: { strategy: 'layerwise', rates: { conv: 0.1, dense: 0.2, output: 0.1 }, rounds: 1, rewindIteration: 0 }, training: { optimizer: 'adam', learningRate: 0.01, batchSize: 20, iterations: 10, evalInterval: 5, validationSize: 100 } });
    await runImp({ spec: spec(7, 2), data, executor: inlineExecutor(data), sink: a.sink, resume: emptyResumeState() });
    await runImp({ spec: spec(8, 1), data, executor: inlineExecutor(data), sink: b.sink, resume: emptyResumeState() });
    const t1 = a.runs.find((r) => r.trial === 1)!;
    const other = b.runs.find((r) => r.trial === 0)!;
    expect(t1.curve.map((p) => p.valLoss)).not.toEqual(other.curve.map((p) => p.valLoss));
  });
});

describe('normalisation statistics (defect 6)', () => {
  it('come from the training split only: the validation images do not move them', () => {
    const ds = quadrantDataset(400, 50, 3);
    const { trainIdx, valIdx } = splitTrainValidation(400, 100, 5);
    const before = splitNormalizationTable(ds, trainIdx, 'a');
    // Make every validation image white: whole-set statistics change, the split's must not.
    const changed = { ...ds, trainImages: ds.trainImages.slice() };
    for (const i of valIdx) changed.trainImages.fill(255, i * 64, (i + 1) * 64);
    const after = splitNormalizationTable(changed, trainIdx, 'a');
    expect(after).toEqual(before);
    const wholeBefore = channelStats(ds.trainImages, 1);
    const wholeAfter = channelStats(changed.trainImages, 1);
    expect(wholeAfter.mean[0]).toBeGreaterThan(wholeBefore.mean[0]! + 0.05);
    const own = channelStatsOf(ds.trainImages, 64, 1, trainIdx);
    expect(before[128]).toBeCloseTo((128 / 255 - own.mean[0]!) / own.std[0]!, 5);
  });

  it('the trainer uses them in engine v2 and the whole-set ones in v1', async () => {
    // What each version trains on, seen through the trainer: v2 ignores the dataset's stored statistics and the
    // validation images' pixels (outside the split), v1 follows the stored ones.
    const base = quadrantDataset();
    const job = (engineVersion: 1 | 2, ds: typeof base) => {
      const spec = tinySpec({ engineVersion, training: { optimizer: 'adam', learningRate: 0.01, batchSize: 20, iterations: 10, evalInterval: 5, validationSize: 100 } });
      const { layers } = planNetwork(spec.network, ds.shape, ds.numClasses);
      return { spec, trial: 0, variant: 'ticket' as const, round: 0, init: glorotInit(layers, 1), mask: denseMask(layers), startIteration: 0, captureAt: null };
    };
    // Stored statistics deliberately off: a v1 run normalises with them, a v2 run computes its own.
    const offStats = { ...base, mean: [0.9], std: [0.05] };
    // Every validation image of v2's trial-0 split white: the whole set's statistics move, the split's do not.
    const { split } = trialData(job(2, base).spec, 0, base);
    const whiteVal = { ...base, trainImages: base.trainImages.slice() };
    for (const i of split.valIdx) whiteVal.trainImages.fill(255, i * 64, (i + 1) * 64);
    expect(channelStats(whiteVal.trainImages, 1).mean[0]).toBeGreaterThan(channelStats(base.trainImages, 1).mean[0]! + 0.05);
    const curve = async (v: 1 | 2, ds: typeof base) => (await trainRun(job(v, ds), ds)).result.curve;
    // Training loss and test accuracy: the validation pixels reach neither, except through the statistics.
    const trainSide = (c: EvalPoint[]) => c.map((p) => [p.trainLoss, p.testAccuracy]);

    const v2 = await curve(2, base);
    expect(await curve(2, offStats)).toEqual(v2);
    expect(trainSide(await curve(2, whiteVal))).toEqual(trainSide(v2));
    const v1 = await curve(1, base);
    const v1Off = await curve(1, offStats);
    expect(v1Off.map((p) => p.valLoss)).not.toEqual(v1.map((p) => p.valLoss));
    expect(trainSide(v1Off)).not.toEqual(trainSide(v1));
  });
});

describe('early stopping point', () => {
  const p = (iteration: number, valLoss: number, testAccuracy: number): EvalPoint => ({ iteration, trainLoss: null, valLoss, valAccuracy: 0.5, testAccuracy });
  it('is the minimum validation loss: not the last point, not the best test accuracy; the earliest on ties', () => {
    const curve = [p(0, 2.0, 0.1), p(100, 0.5, 0.7), p(200, 0.3, 0.8), p(300, 0.3, 0.85), p(400, 0.6, 0.99)];
    expect(earlyStopPoint(curve).iteration).toBe(200);
    expect(earlyStopPoint([p(0, 1, 0.2), p(100, 0.4, 0.3), p(200, 0.9, 0.9)]).iteration).toBe(100);
    expect(earlyStopPoint([p(0, 1, 0.2)]).iteration).toBe(0);
  });
});

describe('Glorot initialisation', () => {
  it('has variance 2 / (fan_in + fan_out) for dense and conv kernels, zero mean, zero biases', () => {
    const layers: LayerInfo[] = [
      { name: 'fc1', kind: 'dense', shape: [784, 300], weights: 784 * 300, macsPerExample: 0 },
      { name: 'conv1', kind: 'conv', shape: [3, 3, 64, 64], weights: 9 * 64 * 64, macsPerExample: 0 },
    ];
    const w = glorotInit(layers, 42);
    const expected = [2 / (784 + 300), 2 / (9 * 64 + 9 * 64)];
    w.kernels.forEach((k, i) => {
      let sum = 0;
      let sq = 0;
      for (const v of k) {
        sum += v;
        sq += v * v;
      }
      const mean = sum / k.length;
      const variance = sq / k.length - mean * mean;
      expect(Math.abs(mean)).toBeLessThan(0.01 * Math.sqrt(expected[i]!) * 10);
      expect(variance / expected[i]!).toBeGreaterThan(0.97);
      expect(variance / expected[i]!).toBeLessThan(1.03);
    });
    expect(w.biases.every((b) => b.every((v) => v === 0))).toBe(true);
  });
});

describe('evaluation', () => {
  it('runs without dropout: the iteration-0 evaluation is the same with dropout 0.5 and 0', async () => {
    const make = (dropout: number) => {
      const spec = tinySpec({ network: { conv: [], dense: [16, 12], dropout }, training: { optimizer: 'adam', learningRate: 0.01, batchSize: 20, iterations: 5, evalInterval: 5, validationSize: 100 } });
      const { layers } = planNetwork(spec.network, data.shape, data.numClasses);
      return { spec, trial: 0, variant: 'ticket' as const, round: 0, init: glorotInit(layers, 9), mask: denseMask(layers), startIteration: 0, captureAt: null };
    };
    const withDropout = await trainRun(make(0.5), data);
    const without = await trainRun(make(0), data);
    expect(withDropout.result.curve[0]).toEqual(without.result.curve[0]);
    // Training itself does use dropout: the runs part after the first step.
    expect(withDropout.finalWeights.kernels[0]).not.toEqual(without.finalWeights.kernels[0]);
  });
});

describe('late rewinding', () => {
  const spec = tinySpec({
    pruning: { strategy: 'layerwise', rates: { conv: 0.1, dense: 0.3, output: 0.1 }, rounds: 4, rewindIteration: 15 },
    controls: ['reinit', 'random'],
    training: { optimizer: 'adam', learningRate: 0.01, batchSize: 20, iterations: 40, evalInterval: 10, validationSize: 100 },
  });
  const { layers } = planNetwork(spec.network, data.shape, data.numClasses);

  it('rewinds to θk of the dense run itself: the weights a dense run has after exactly k iterations', async () => {
    const m = memorySink();
    await runImp({ spec, data, executor: inlineExecutor(data), sink: m.sink, resume: emptyResumeState() });
    const init = glorotInit(layers, trialSeed(spec, 0));
    const shortSpec = { ...spec, training: { ...spec.training, iterations: 15 } };
    const first15 = await trainRun({ spec: shortSpec, trial: 0, variant: 'ticket', round: 0, init, mask: denseMask(layers), startIteration: 0, captureAt: null }, data);
    expect(m.rewind.get(0)!.kernels).toEqual(first15.finalWeights.kernels);
    expect(m.rewind.get(0)!.biases).toEqual(first15.finalWeights.biases);
    // And the pruned rounds start there, at iteration k.
    const ticket1 = m.runs.find((r) => r.variant === 'ticket' && r.round === 1)!;
    expect(ticket1.curve[0]!.iteration).toBe(15);
    expect(ticket1.iterations).toBe(25);
  });

  it('masks nest across real pruning rounds, and each round prunes', async () => {
    const m = memorySink();
    await runImp({ spec, data, executor: inlineExecutor(data), sink: m.sink, resume: emptyResumeState() });
    for (let r = 1; r < spec.pruning.rounds; r++) {
      const prev = m.masks.get(`0:${r - 1}`) ?? denseMask(layers);
      const cur = m.masks.get(`0:${r}`)!;
      let kept = 0;
      let keptBefore = 0;
      cur.forEach((layer, l) => {
        for (let j = 0; j < layer.length; j++) {
          if (layer[j]) expect(prev[l]![j]).toBe(1);
          kept += layer[j]!;
          keptBefore += prev[l]![j]!;
        }
      });
      expect(kept).toBeLessThan(keptBefore);
    }
  });

  it('survives a crash after k: resumed from a checkpoint past k, the results equal an uninterrupted run (defect 1)', async () => {
    const whole = memorySink();
    await runImp({ spec, data, executor: inlineExecutor(data), sink: whole.sink, resume: emptyResumeState() });

    // The process dies right after the dense run's checkpoint at iteration 30 (past k = 15), as a kill would.
    const broken = memorySink();
    const sink: ExperimentSink = {
      ...broken.sink,
      saveCheckpoint: (c) => {
        broken.sink.saveCheckpoint(c);
        if (c.iteration === 30) throw new Error('killed');
      },
    };
    await expect(runImp({ spec, data, executor: inlineExecutor(data), sink, resume: emptyResumeState(), checkpointEveryIterations: 10 })).rejects.toThrow('killed');
    const cp = broken.checkpoints.get(checkpointKey(0, 'ticket', 0))!;
    expect(cp.iteration).toBe(30);
    expect(cp.captured).toBeTruthy();
    expect(broken.rewind.size).toBe(0); // θk existed only in the checkpoint: the case that crashed before

    const resume: ResumeState = { ...emptyResumeState(), checkpoints: new Map(broken.checkpoints), runs: [...broken.runs], masks: new Map(broken.masks) };
    const resumed = memorySink();
    await runImp({ spec, data, executor: inlineExecutor(data), sink: resumed.sink, resume });
    expect(withoutTimes(resumed.runs)).toEqual(withoutTimes(whole.runs));
    expect(resumed.rewind.get(0)).toEqual(whole.rewind.get(0));
    for (const [k, mask] of whole.masks) expect(resumed.masks.get(k) ?? broken.masks.get(k)).toEqual(mask);
  });

  it('a checkpoint past k written without θk (before the fix) is retrained from the start, not a crash', async () => {
    const whole = memorySink();
    await runImp({ spec, data, executor: inlineExecutor(data), sink: whole.sink, resume: emptyResumeState() });
    const broken = memorySink();
    const sink: ExperimentSink = {
      ...broken.sink,
      saveCheckpoint: (c) => {
        broken.sink.saveCheckpoint({ ...c, captured: undefined });
        if (c.iteration === 30) throw new Error('killed');
      },
    };
    await expect(runImp({ spec, data, executor: inlineExecutor(data), sink, resume: emptyResumeState(), checkpointEveryIterations: 10 })).rejects.toThrow('killed');
    expect(broken.checkpoints.get(checkpointKey(0, 'ticket', 0))!.iteration).toBe(30);
    const resume: ResumeState = { ...emptyResumeState(), checkpoints: new Map(broken.checkpoints), masks: new Map(broken.masks) };
    const resumed = memorySink();
    await runImp({ spec, data, executor: inlineExecutor(data), sink: resumed.sink, resume });
    expect(withoutTimes(resumed.runs)).toEqual(withoutTimes(whole.runs));
  });
});

describe('the reinit control under late rewinding (defect 5)', () => {
  const base = {
    pruning: { strategy: 'layerwise' as const, rates: { conv: 0.1, dense: 0.3, output: 0.1 }, rounds: 2, rewindIteration: 15 },
    controls: ['reinit' as const],
    training: { optimizer: 'adam' as const, learningRate: 0.01, batchSize: 20, iterations: 40, evalInterval: 10, validationSize: 100 },
  };
  it("default ('rewind', open_lth's convention): fresh weights trained from k for T-k iterations, like the ticket", async () => {
    const spec = tinySpec(base);
    expect(spec.pruning.reinitStart).toBe('rewind');
    expect(startIteration(spec, 'reinit', 1)).toBe(15);
    const m = memorySink();
    await runImp({ spec, data, executor: inlineExecutor(data), sink: m.sink, resume: emptyResumeState() });
    const reinit = m.runs.find((r) => r.variant === 'reinit')!;
    expect(reinit.iterations).toBe(25);
    expect(reinit.curve[0]!.iteration).toBe(15);
  });
  it("'zero': fresh weights trained from iteration 0 for all T iterations", async () => {
    const spec = tinySpec({ ...base, pruning: { ...base.pruning, reinitStart: 'zero' } });
    const m = memorySink();
    await runImp({ spec, data, executor: inlineExecutor(data), sink: m.sink, resume: emptyResumeState() });
    const reinit = m.runs.find((r) => r.variant === 'reinit')!;
    expect(reinit.iterations).toBe(40);
    expect(reinit.curve[0]!.iteration).toBe(0);
    expect(plannedIterations(spec)).toBe(40 + 25 + 40);
  });
});

describe('winning ticket over several trials (defect 2)', () => {
  const run = (trial: number, round: number, valAccuracy: number, extra: Partial<RunResult> = {}): RunResult => ({
    trial,
    variant: 'ticket',
    round,
    weightsRemaining: 0.8 ** round,
    layerDensity: [0.8 ** round],
    earlyStopIteration: 500,
    valLoss: 0.1,
    valAccuracy,
    testAccuracy: valAccuracy - 0.01,
    finalValAccuracy: valAccuracy,
    finalTestAccuracy: valAccuracy,
    iterations: 1000,
    durationMs: 1,
    curve: [],
    ...extra,
  });
  it('a round qualifies only when every trial has trained it', () => {
    const runs = [run(0, 0, 0.95), run(1, 0, 0.95), run(0, 1, 0.96), run(1, 1, 0.955), run(0, 2, 0.97)];
    const v = chooseWinningTicket(runs, 0.002, 2);
    expect(v.ticket?.round).toBe(1); // round 2 has only trial 0: not yet a result
    expect(v.ticket?.valAccuracy).toBeCloseTo(0.9575, 12);
    expect(v.ticket?.trials).toBe(2);
    expect(v.ticket?.spread?.valAccuracy).toMatchObject({ min: 0.955, max: 0.96, n: 2 });
    expect(v.ticket?.perTrial?.map((t) => [t.trial, t.valAccuracy])).toEqual([[0, 0.96], [1, 0.955]]);
    expect(chooseWinningTicket([...runs, run(1, 2, 0.97)], 0.002, 2).ticket?.round).toBe(2);
  });
  it('decides on the mean, not on trial 0', () => {
    // Trial 0 alone would qualify at round 1; the mean does not.
    const runs = [run(0, 0, 0.95), run(1, 0, 0.95), run(0, 1, 0.951), run(1, 1, 0.9)];
    const v = chooseWinningTicket(runs, 0.002, 2);
    expect(v.ticket).toBeNull();
  });
  it('says when the dense round is not finished by every trial', () => {
    expect(chooseWinningTicket([run(0, 0, 0.95), run(0, 1, 0.96)], 0.002, 3).reason).toMatch(/1 of 3 trials/);
  });
});
