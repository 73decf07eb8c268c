import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/main/engine/backend';
import { runAtInit } from '../../src/main/engine/at-init';
import { inlineExecutor } from '../../src/main/engine/executor';
import { AbortedError } from '../../src/main/engine/trainer';
import { checkpointKey, emptyResumeState, type Checkpoint, type ExperimentSink, type Mask, type ResumeState, type WeightSet } from '../../src/main/engine/types';
import { maskCounts } from '../../src/main/engine/weights';
import { runSupermasks } from '../../src/main/engine/supermask';
import { planNetwork } from '../../src/main/engine/network';
import { glorotInit } from '../../src/main/engine/weights';
import { trialSeed } from '../../src/main/engine/random';
import type { RunResult } from '../../src/shared/results';
import { quadrantDataset, tinySpec } from '../engine/synthetic';

function memory() {
  const state: ResumeState = emptyResumeState();
  const maskSaves: string[] = [];
  const sink: ExperimentSink = {
    saveRewindWeights: (t, w: WeightSet) => state.rewindWeights.set(t, w),
    saveMask: (t, r, m: Mask) => {
      maskSaves.push(`${t}:${r}`);
      state.masks.set(`${t}:${r}`, m);
    },
    saveTrainedWeights: (t, r, w) => state.trainedWeights.set(`${t}:${r}`, w),
    saveRun: (r: RunResult) => {
      state.runs = [...state.runs.filter((x) => !(x.trial === r.trial && x.variant === r.variant && x.round === r.round)), r];
      state.checkpoints.delete(checkpointKey(r.trial, r.variant, r.round));
    },
    saveCheckpoint: (c: Checkpoint) => state.checkpoints.set(checkpointKey(c.trial, c.variant, c.round), c),
  };
  return { state, sink, maskSaves };
}

const data = quadrantDataset();
const spec = tinySpec({
  pruning: { strategy: 'layerwise', rates: { conv: 0.1, dense: 0.2, output: 0.1 }, rounds: 1, rewindIteration: 0, method: 'snip', densities: [0.5, 0.2] },
  ablations: ['shuffle', 'sign'],
  trials: 2,
});
const sortRuns = (rs: RunResult[]) =>
  [...rs].sort((a, b) => a.trial - b.trial || a.round - b.round || a.variant.localeCompare(b.variant)).map((r) => ({ ...r, durationMs: 0 }));

let full: ReturnType<typeof memory>;
beforeAll(async () => {
  await initBackend('wasm');
  full = memory();
  await runAtInit({ spec, data, executor: inlineExecutor(data), sink: full.sink, resume: emptyResumeState() });
});

describe('runAtInit', () => {
  it('trains the dense network and each density with its ablations, per trial, with masks of exact counts', async () => {
    const m = full;
    expect(spec.pruning.rounds).toBe(3);
    expect(m.state.runs).toHaveLength(2 * (1 + 2 * 3));
    const plan = planNetwork(spec.network, data.shape, data.numClasses);
    const total = plan.layers.reduce((a, l) => a + l.weights, 0);
    for (const trial of [0, 1]) {
      expect(maskCounts(m.state.masks.get(`${trial}:1`)!).reduce((a, b) => a + b)).toBe(Math.round(total * 0.5));
      expect(maskCounts(m.state.masks.get(`${trial}:2`)!).reduce((a, b) => a + b)).toBe(Math.round(total * 0.2));
      const shuffle = m.state.runs.find((r) => r.trial === trial && r.variant === 'shuffle' && r.round === 2)!;
      const ticket = m.state.runs.find((r) => r.trial === trial && r.variant === 'ticket' && r.round === 2)!;
      expect(shuffle.layerDensity).toEqual(ticket.layerDensity);
    }
    // Trials differ (own θ0 and own scoring sample).
    expect(m.state.masks.get('0:2')).not.toEqual(m.state.masks.get('1:2'));
  });

  it('resumes after an interruption to exactly the uninterrupted results, without recomputing stored masks', async () => {
    const part = memory();
    const stop = new AbortController();
    let seen = 0;
    await expect(
      runAtInit({ spec, data, executor: inlineExecutor(data), sink: part.sink, resume: emptyResumeState(), signal: stop.signal, onRun: () => ++seen === 4 && stop.abort() }),
    ).rejects.toBeInstanceOf(AbortedError);
    const stored = part.state.runs.length;
    expect(stored).toBeGreaterThanOrEqual(4);
    expect(stored).toBeLessThan(full.state.runs.length);
    const masksBefore = part.maskSaves.length;
    const resume: ResumeState = { ...part.state, runs: [...part.state.runs], masks: new Map(part.state.masks) };
    await runAtInit({ spec, data, executor: inlineExecutor(data), sink: part.sink, resume });
    expect(part.maskSaves.length).toBe(masksBefore + [...full.state.masks.keys()].filter((k) => !resume.masks.has(k)).length);
    expect(sortRuns(part.state.runs)).toEqual(sortRuns(full.state.runs));

    // Supermasks: one evaluation per mask and variant, skipped when stored.
    const plan = planNetwork(spec.network, data.shape, data.numClasses);
    const ctx = { spec, plan, data, sink: part.sink, masks: part.state.masks, initOf: (t: number) => glorotInit(plan.layers, trialSeed(spec, t)), rewindOf: (t: number) => part.state.rewindWeights.get(t)! };
    await runSupermasks({ ...ctx, done: part.state.runs });
    const untrained = part.state.runs.filter((r) => r.variant.startsWith('supermask'));
    expect(untrained).toHaveLength(2 * 3 * 2);
    expect(untrained.every((r) => r.iterations === 0 && r.curve.length === 1 && r.curve[0]!.iteration === 0)).toBe(true);
    let again = 0;
    await runSupermasks({ ...ctx, done: part.state.runs, onRun: () => again++ });
    expect(again).toBe(0);
  });
});
