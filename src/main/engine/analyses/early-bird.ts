import {
  earlyBirdIndex,
  referenceEarlyBirdIndex,
  type EarlyBirdDistanceOver,
  type EarlyBirdRule,
  type EarlyBirdSeries,
} from '../../../shared/analyses/early-bird';
import type { LayerInfo } from '../../../shared/results';
import type { PruningSpec } from '../../../shared/spec';
import { magnitudeMask, prunedLayerIndices } from '../prune';
import type { Mask, WeightSet } from '../types';

export interface EarlyBirdOptions {
  epsilon: number;
  patience: number;
  /** Stop training once the early bird is detected (the early-bird IMP mode). */
  stop: boolean;
  /** Absent in jobs of specs stored before the rule was a choice: consecutive, over all positions (earlyBirdConventions). */
  rule?: EarlyBirdRule;
  distanceOver?: EarlyBirdDistanceOver;
}

/** What a checkpoint keeps to continue the series bit for bit. */
export interface EarlyBirdState {
  iterations: number[];
  distances: number[];
  spread?: number[];
  /** The masks the rule still compares with, oldest first (the reference rule's patience − 1, else one). */
  recent?: Mask[];
  /** Checkpoints written before `recent` kept only the last mask. */
  previous?: Mask | null;
}

/** Fraction of positions where two masks of the same layout differ, over all of them and per layer (the overlap analysis' Hamming distance). */
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

/**
 * Early bird's distance: the fraction of flips among the positions that can flip, the run's survivors in the
 * layers this round prunes. Pruned positions are 0 in every next-round mask and unpruned layers keep their
 * mask, so counting them (maskDistance) would report about density × this distance.
 */
export function survivorDistance(a: Mask, b: Mask, runMask: Mask, prunedLayers: readonly number[]): number {
  let diff = 0;
  let total = 0;
  for (const l of prunedLayers) {
    const m = runMask[l]!;
    const x = a[l]!;
    const y = b[l]!;
    if (x.length !== m.length || y.length !== m.length) throw new RangeError(`layer ${l}: masks of different shapes (${x.length}, ${y.length}, run mask ${m.length})`);
    for (let j = 0; j < m.length; j++) {
      if (!m[j]) continue;
      total++;
      if (x[j] !== y[j]) diff++;
    }
  }
  return total > 0 ? diff / total : 0;
}

/** Follows one run's evaluations; `observe` at each, `detected` once the rule holds. */
export function earlyBirdTracker(layers: readonly LayerInfo[], pruning: PruningSpec, mask: Mask, options: EarlyBirdOptions, restored?: EarlyBirdState) {
  const rule: EarlyBirdRule = options.rule ?? 'consecutive';
  const distanceOver: EarlyBirdDistanceOver = options.distanceOver ?? 'all';
  const pruned = prunedLayerIndices(layers, pruning);
  const distance = (a: Mask, b: Mask) => (distanceOver === 'survivors' ? survivorDistance(a, b, mask, pruned) : maskDistance(a, b).overall);
  // The reference rule compares the newest mask with the patience − 1 before it: those are what must be kept.
  const keep = rule === 'reference' ? options.patience - 1 : 1;
  const state = {
    iterations: [...(restored?.iterations ?? [])],
    distances: [...(restored?.distances ?? [])],
    spread: [...(restored?.spread ?? [])],
    recent: restored ? [...(restored.recent ?? (restored.previous ? [restored.previous] : []))] : ([] as Mask[]),
  };
  const index = () =>
    rule === 'reference' ? referenceEarlyBirdIndex(state.spread, options.epsilon, options.patience) : earlyBirdIndex(state.distances, options.epsilon, options.patience);
  return {
    observe(iteration: number, weights: WeightSet): void {
      const next = nextRoundMask(layers, weights, mask, pruning);
      if (state.recent.length > 0) {
        const toEach = state.recent.map((m) => distance(m, next));
        state.iterations.push(iteration);
        state.distances.push(toEach.at(-1)!);
        if (rule === 'reference') state.spread.push(Math.max(...toEach));
      }
      state.recent.push(next);
      if (state.recent.length > keep) state.recent.shift();
    },
    /** True when the run should end here (stop mode and the rule holds). */
    shouldStop(): boolean {
      return options.stop && index() >= 0;
    },
    state: (): EarlyBirdState => ({
      iterations: [...state.iterations],
      distances: [...state.distances],
      ...(rule === 'reference' ? { spread: [...state.spread] } : {}),
      recent: [...state.recent],
    }),
    series(): EarlyBirdSeries {
      const i = index();
      return {
        epsilon: options.epsilon,
        patience: options.patience,
        rule,
        distanceOver,
        iterations: [...state.iterations],
        distances: [...state.distances],
        ...(rule === 'reference' ? { spread: [...state.spread] } : {}),
        detectedAt: i >= 0 ? state.iterations[i]! : null,
        stopped: options.stop && i >= 0,
      };
    },
  };
}
