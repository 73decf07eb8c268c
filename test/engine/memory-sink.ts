import type { RunResult } from '../../src/shared/results';
import { checkpointKey, type Checkpoint, type ExperimentSink, type Mask, type WeightSet } from '../../src/main/engine/types';

/** Keeps everything the IMP driver hands to the store, in memory (checkpoints copied, as the store serialises them). */
export function memorySink() {
  const s = {
    rewind: new Map<number, WeightSet>(),
    masks: new Map<string, Mask>(),
    trained: new Map<string, WeightSet>(),
    runs: [] as RunResult[],
    checkpoints: new Map<string, Checkpoint>(),
    analyses: new Map<string, unknown>(),
  };
  const sink: ExperimentSink = {
    saveRewindWeights: (t, w) => s.rewind.set(t, w),
    saveMask: (t, r, m) => s.masks.set(`${t}:${r}`, m),
    saveTrainedWeights: (t, r, w) => s.trained.set(`${t}:${r}`, w),
    saveRun: (r) => {
      s.runs.push(r);
      s.checkpoints.delete(checkpointKey(r.trial, r.variant, r.round));
    },
    saveCheckpoint: (c) => s.checkpoints.set(checkpointKey(c.trial, c.variant, c.round), structuredClone(c)),
    saveAnalysis: (kind, t, p, d) => s.analyses.set(`${kind}:${t}:${p}`, d),
  };
  return { ...s, sink };
}

/** Results without their wall-clock duration, in a fixed order: what two identical computations share. */
export const withoutTimes = (rs: readonly RunResult[]) =>
  rs.map(({ durationMs: _d, ...r }) => r).sort((a, b) => a.trial - b.trial || a.round - b.round || a.variant.localeCompare(b.variant));
