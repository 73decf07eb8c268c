import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/main/engine/backend';
import { inlineExecutor } from '../../src/main/engine/executor';
import { runImp } from '../../src/main/engine/imp';
import { createParams, disposeParams, readWeights } from '../../src/main/engine/model';
import { planNetwork } from '../../src/main/engine/network';
import { createOptimizer } from '../../src/main/engine/optimizer';
import { trainRun } from '../../src/main/engine/trainer';
import { checkpointKey, emptyResumeState, type Checkpoint, type ExperimentSink, type Mask, type ResumeState, type WeightSet } from '../../src/main/engine/types';
import { applyMask, denseMask, glorotInit } from '../../src/main/engine/weights';
import { finalLearningRate, learningRateAt } from '../../src/shared/schedule';
import type { RunResult } from '../../src/shared/results';
import { parseSpec, SpecError } from '../../src/shared/spec';
import { quadrantDataset, tinySpec } from './synthetic';
import { memorySink, withoutTimes } from './memory-sink';

const data = quadrantDataset();


beforeAll(async () => {
  await initBackend('wasm');
});

describe('learning-rate schedule', () => {
  const training = { learningRate: 0.1, iterations: 30000, schedule: { warmupIterations: 1000, milestones: [20000, 25000], gamma: 0.1 } };
  it("warms up linearly from 0 (open_lth's min(1, it/W)) and steps down by gamma at each milestone", () => {
    expect(learningRateAt(training, 0)).toBe(0);
    expect(learningRateAt(training, 500)).toBeCloseTo(0.05, 12);
    expect(learningRateAt(training, 1000)).toBeCloseTo(0.1, 12);
    expect(learningRateAt(training, 19999)).toBeCloseTo(0.1, 12);
    expect(learningRateAt(training, 20000)).toBeCloseTo(0.01, 12);
    expect(learningRateAt(training, 25000)).toBeCloseTo(0.001, 12);
    expect(finalLearningRate(training)).toBeCloseTo(0.001, 12);
  });
  it('is constant for specs stored before schedules existed', () => {
    expect(learningRateAt({ learningRate: 0.0012 }, 0)).toBe(0.0012);
    expect(finalLearningRate({ learningRate: 0.0012, iterations: 50000 })).toBe(0.0012);
  });
  it('refuses milestones out of order or past the end, and warmup as long as training', () => {
    const bad = (schedule: object) => () => tinySpec({ training: { optimizer: 'sgd', learningRate: 0.1, batchSize: 20, iterations: 40, evalInterval: 10, validationSize: 100, schedule } as never });
    expect(bad({ milestones: [30, 20] })).toThrow(/increasing order/);
    expect(bad({ milestones: [40] })).toThrow(/not below training.iterations/);
    expect(bad({ warmupIterations: 40 })).toThrow(SpecError);
    expect(() => parseSpec({ ...tinySpec(), training: { ...tinySpec().training, weightDecay: -1 } })).toThrow(/weightDecay/);
  });
});

describe('the optimizer', () => {
  it('applies the rate it is given at each step, and weight decay as w - lr*wd*w; a pruned weight stays 0', async () => {
    const spec = tinySpec({ training: { optimizer: 'sgd', learningRate: 0.1, momentum: 0, batchSize: 20, iterations: 40, evalInterval: 10, validationSize: 100, weightDecay: 0.5 } });
    const plan = planNetwork(spec.network, data.shape, data.numClasses);
    const w = glorotInit(plan.layers, 1);
    const mask = denseMask(plan.layers);
    mask[0]![0] = 0;
    const params = createParams(plan, applyMask(w, mask), mask);
    const opt = createOptimizer(spec.training, params);
    const zero = (ts: tf.Variable[]) => ts.map((t) => tf.zerosLike(t));
    opt.step(zero(params.kernels), zero(params.biases), 0.1);
    opt.step(zero(params.kernels), zero(params.biases), 0.2);
    const after = await readWeights(plan, params);
    const j = 5;
    expect(after.kernels[0]![j]).toBeCloseTo(w.kernels[0]![j]! * (1 - 0.1 * 0.5) * (1 - 0.2 * 0.5), 6);
    expect(after.kernels[0]![0]).toBe(0);
    opt.dispose();
    disposeParams(params);
  });

  it('a milestone with a tiny gamma freezes training: the run ends where a run stopped at the milestone ends', async () => {
    const training = { optimizer: 'sgd' as const, learningRate: 0.05, momentum: 0, batchSize: 20, iterations: 40, evalInterval: 10, validationSize: 100 };
    const frozen = tinySpec({ training: { ...training, schedule: { warmupIterations: 0, milestones: [20], gamma: 1e-12 } } });
    const short = tinySpec({ training: { ...training, iterations: 20 } });
    const plan = planNetwork(frozen.network, data.shape, data.numClasses);
    const job = (spec: typeof frozen) => ({ spec, trial: 0, variant: 'ticket' as const, round: 0, init: glorotInit(plan.layers, 4), mask: denseMask(plan.layers), startIteration: 0, captureAt: null });
    const a = await trainRun(job(frozen), data);
    const b = await trainRun(job(short), data);
    a.finalWeights.kernels.forEach((k, l) => k.forEach((v, j) => expect(v).toBeCloseTo(b.finalWeights.kernels[l]![j]!, 6)));
  });
});

describe('retraining modes (Renda et al. 2020)', () => {
  const base = (retrain: 'rewind' | 'lr-rewind' | 'finetune', schedule = { warmupIterations: 0, milestones: [] as number[], gamma: 0.1 }) =>
    tinySpec({
      pruning: { strategy: 'layerwise', rates: { conv: 0.1, dense: 0.3, output: 0.1 }, rounds: 3, rewindIteration: 10, retrain },
      controls: ['reinit'],
      training: { optimizer: 'sgd', learningRate: 0.05, batchSize: 20, iterations: 40, evalInterval: 10, validationSize: 100, schedule },
    });
  const run = async (spec: ReturnType<typeof base>) => {
    const m = memorySink();
    await runImp({ spec, data, executor: inlineExecutor(data), sink: m.sink, resume: emptyResumeState() });
    return m;
  };

  it('lr-rewind starts a pruned round from the previous round\'s trained weights at iteration k; rewind from θk', async () => {
    const lr = await run(base('lr-rewind'));
    const rw = await run(base('rewind'));
    const t1 = lr.runs.find((r) => r.variant === 'ticket' && r.round === 1)!;
    expect(t1.curve[0]!.iteration).toBe(10);
    expect(t1.iterations).toBe(30);
    // Its first evaluation is that of the round-0 trained weights under the round-1 mask.
    const direct = await trainRun({ spec: base('lr-rewind'), trial: 0, variant: 'ticket', round: 1, init: lr.trained.get('0:0')!, mask: lr.masks.get('0:1')!, startIteration: 10, captureAt: null }, data);
    expect(t1.curve[0]).toEqual(direct.result.curve[0]);
    expect(rw.runs.find((r) => r.variant === 'ticket' && r.round === 1)!.curve[0]).not.toEqual(t1.curve[0]);
    // Same masks at round 1 (both prune the same dense run); the controls are unchanged by the mode.
    expect(lr.masks.get('0:1')).toEqual(rw.masks.get('0:1'));
    expect(withoutTimes(lr.runs.filter((r) => r.variant === 'reinit' && r.round === 1))).toEqual(withoutTimes(rw.runs.filter((r) => r.variant === 'reinit' && r.round === 1)));
  });

  it('finetune equals lr-rewind under a constant rate, and trains at the final rate when the schedule decays', async () => {
    const constant = withoutTimes((await run(base('finetune'))).runs);
    expect(constant).toEqual(withoutTimes((await run(base('lr-rewind'))).runs).map((r) => r));
    const decay = { warmupIterations: 0, milestones: [30], gamma: 0.1 };
    const ft = await run(base('finetune', decay));
    const lr = await run(base('lr-rewind', decay));
    const t1 = (m: typeof ft) => m.runs.find((r) => r.variant === 'ticket' && r.round === 1)!;
    expect(t1(ft).curve[0]).toEqual(t1(lr).curve[0]); // same start
    // Different rates from iteration 10 to 30 (0.005 against 0.05): different trained weights.
    expect(ft.trained.get('0:1')!.kernels).not.toEqual(lr.trained.get('0:1')!.kernels);
  });

  it('an lr-rewind experiment killed mid-round resumes to the uninterrupted results', async () => {
    const spec = base('lr-rewind');
    const whole = await run(spec);
    const broken = memorySink();
    const sink: ExperimentSink = {
      ...broken.sink,
      saveCheckpoint: (c) => {
        broken.sink.saveCheckpoint(c);
        if (c.round === 2 && c.variant === 'ticket' && c.iteration === 30) throw new Error('killed');
      },
    };
    await expect(runImp({ spec, data, executor: inlineExecutor(data), sink, resume: emptyResumeState(), checkpointEveryIterations: 10 })).rejects.toThrow('killed');
    const resume: ResumeState = {
      rewindWeights: new Map(broken.rewind),
      masks: new Map(broken.masks),
      trainedWeights: new Map(broken.trained),
      runs: [...broken.runs],
      checkpoints: new Map(broken.checkpoints),
    };
    const resumed = memorySink();
    await runImp({ spec, data, executor: inlineExecutor(data), sink: resumed.sink, resume });
    expect(withoutTimes([...broken.runs, ...resumed.runs])).toEqual(withoutTimes(whole.runs));
  });
});
