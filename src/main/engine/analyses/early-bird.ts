import { earlyBirdIndex, type EarlyBirdSeries } from '../../../shared/analyses/early-bird';
import type { LayerInfo } from '../../../shared/results';
import type { PruningSpec } from '../../../shared/spec';
import { magnitudeMask } from '../prune';
import type { Mask, WeightSet } from '../types';

export interface EarlyBirdOptions {
  epsilon: number;
  patience: number;
  /** Stop training once the early bird is detected (the early-bird IMP mode). */
  stop: boolean;
}

/** What a checkpoint keeps to continue the series bit for bit. */
export interface EarlyBirdState {
  iterations: number[];
  distances: number[];
  previous: Mask | null;
}

/** Fraction of positions where two masks of the same layout differ, over all of them and per layer. */
export function maskDistance(a: Mask, b: Mask): { overall: number; perLayer: number[] } {
  if (a.length !== b.length || a.some((m, i) => m.length !== b[i]!.length)) {
    throw new RangeError(`masks of different shapes: [${a.map((m) => m.length).join(', ')}] and [${b.map((m) => m.length).join(', ')}]`);
  }
  let diff = 0;
  let total = 0;
  const perLayer = a.map((m, l) => {
    const o = b[l]!;
    let d = 0;
    for (let j = 0; j < m.length; j++) if (m[j] !== o[j]) d++;
    diff += d;
    total += m.length;
    return m.length > 0 ? d / m.length : 0;
  });
  return { overall: total > 0 ? diff / total : 0, perLayer };
}

/** The mask the next round's magnitude pruning would give on these weights, among the run's survivors. */
export function nextRoundMask(layers: readonly LayerInfo[], weights: WeightSet, mask: Mask, pruning: PruningSpec): Mask {
  return magnitudeMask(layers, weights, mask, mask, 1, pruning);
}

/** Follows one run's evaluations; `observe` at each, `detected` once the rule holds. */
export function earlyBirdTracker(layers: readonly LayerInfo[], pruning: PruningSpec, mask: Mask, options: EarlyBirdOptions, restored?: EarlyBirdState) {
  const state: EarlyBirdState = restored
    ? { iterations: [...restored.iterations], distances: [...restored.distances], previous: restored.previous }
    : { iterations: [], distances: [], previous: null };
  const index = () => earlyBirdIndex(state.distances, options.epsilon, options.patience);
  return {
    observe(iteration: number, weights: WeightSet): void {
      const next = nextRoundMask(layers, weights, mask, pruning);
      if (state.previous) {
        state.iterations.push(iteration);
        state.distances.push(maskDistance(state.previous, next).overall);
      }
      state.previous = next;
    },
    /** True when the run should end here (stop mode and the rule holds). */
    shouldStop(): boolean {
      return options.stop && index() >= 0;
    },
    state: (): EarlyBirdState => ({ iterations: [...state.iterations], distances: [...state.distances], previous: state.previous }),
    series(): EarlyBirdSeries {
      const i = index();
      return {
        epsilon: options.epsilon,
        patience: options.patience,
        iterations: [...state.iterations],
        distances: [...state.distances],
        detectedAt: i >= 0 ? state.iterations[i]! : null,
        stopped: options.stop && i >= 0,
      };
    },
  };
}
