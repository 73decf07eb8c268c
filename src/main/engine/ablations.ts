import type { ExperimentSpec, Variant } from '../../shared/spec';
import type { LayerInfo } from '../../shared/results';
import { randomMask } from './prune';
import { deriveSeed, sampleWithoutReplacement } from './random';
import type { Mask, TrainJob, WeightSet } from './types';
import { initialWeights, normsOf } from './weights';

/**
 * Layer-wise shuffle (Frankle et al. 2021, "Pruning neural networks at initialization: why are we missing the
 * mark?", arXiv 2009.08576, section 5): the kept positions of each layer are permuted uniformly at random within
 * the layer. Every layer keeps exactly as many weights as before; only where they sit changes: the distribution of
 * the 'random' control's masks (src/shared/variants.ts trains one of the two when both are asked for).
 */
export function shuffleMask(mask: Mask, seed: number): Mask {
  return mask.map((m, i) => {
    const perm = sampleWithoutReplacement(m.length, m.length, deriveSeed(seed, 'shuffle', i));
    const out = new Uint8Array(m.length);
    for (let j = 0; j < m.length; j++) out[perm[j]!] = m[j]!;
    return out;
  });
}

/**
 * Sign flipping (Zhou et al. 2019, "Deconstructing lottery tickets: zeros, signs, and the supermask", arXiv
 * 1905.01067, section 3): the same mask and magnitudes with every kernel weight's sign flipped; biases and batch
 * norm unchanged. Frankle et al. 2021 do not flip signs; their inversion is of scores ('invert').
 */
export function invertSigns(w: WeightSet): WeightSet {
  return { kernels: w.kernels.map((k) => k.map((v) => -v)), biases: w.biases.map((b) => b.slice()), ...normsOf(w) };
}

/** Where the ticket of a round starts, which every control and ablation of that round shares. */
export interface RoundStart {
  trial: number;
  round: number;
  /** The weights the ticket trains from (θ0, or θk under late rewinding). */
  init: WeightSet;
  mask: Mask;
  /** The ticket's first iteration. */
  start: number;
  /** Score inversion's mask (the lowest-scoring weights at the mask's density); only needed when 'invert' trains. */
  inverted?: Mask;
}

/**
 * The run of a control or ablation beside a ticket: 'reinit' fresh initial weights (the spec's scheme) on the same mask (from
 * iteration `reinitStart` as the spec says), 'random' a random mask of the same per-layer counts on the ticket's
 * weights, 'shuffle' the ticket's mask permuted within each layer, 'sign' the ticket's weights with signs flipped,
 * 'invert' the inverted-score mask the driver computed on the ticket's weights.
 * Each draws from its own seed stream (trial seed, variant, round).
 */
export function controlJob(spec: ExperimentSpec, layers: readonly LayerInfo[], trialSeed: number, variant: Exclude<Variant, 'ticket'>, at: RoundStart, reinitStart: number): TrainJob {
  const base = { spec, trial: at.trial, variant, round: at.round, captureAt: null };
  switch (variant) {
    case 'reinit':
      return { ...base, init: initialWeights(layers, deriveSeed(trialSeed, 'reinit', at.round), spec.network), mask: at.mask, startIteration: reinitStart };
    case 'random':
      return { ...base, init: at.init, mask: randomMask(at.mask, deriveSeed(trialSeed, 'random', at.round)), startIteration: at.start };
    case 'shuffle':
      return { ...base, init: at.init, mask: shuffleMask(at.mask, deriveSeed(trialSeed, 'shuffle', at.round)), startIteration: at.start };
    case 'sign':
      return { ...base, init: invertSigns(at.init), mask: at.mask, startIteration: at.start };
    case 'invert':
      if (!at.inverted) throw new Error(`trial ${at.trial} round ${at.round}: the inverted-score mask was not computed`);
      return { ...base, init: at.init, mask: at.inverted, startIteration: at.start };
    default:
      throw new Error(`variant '${variant}' does not train`);
  }
}
