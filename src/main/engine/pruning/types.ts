import type { ExperimentSpec, PruningMethod } from '../../../shared/spec';
import type { LayerInfo } from '../../../shared/results';
import type { NetworkPlan } from '../network';
import type { Mask, WeightSet } from '../types';

/** Labelled examples a data-dependent score looks at: NHWC pixels (normalised as training sees them), one-hot labels. */
export interface ScoreData {
  pixels: Float32Array;
  oneHot: Float32Array;
  count: number;
}

/** What a method needs to prune θ0 to one density. */
export interface AtInitContext {
  spec: ExperimentSpec;
  plan: NetworkPlan;
  layers: readonly LayerInfo[];
  /** θ0: the weights the pruned network will train from. */
  init: WeightSet;
  /** Fraction of the pool's weights to keep, in (0, 1]. */
  density: number;
  /** Indices of the layers that take part (kind rate > 0 in the spec); the others stay dense. */
  pool: readonly number[];
  /** Labelled examples for SNIP and GraSP; SynFlow, magnitude and random never look at data. */
  data: ScoreData | null;
  /** For methods that draw at random. */
  seed: number;
  /** Long (iterative) methods yield to the event loop between steps and stop when this aborts. */
  signal?: AbortSignal;
  /**
   * Per-trial memo of density-independent scores (SNIP's, GraSP's): one scoring serves every density of the
   * trial (GraSP on VGG-19 takes minutes on wasm). See `memoScores`.
   */
  memo?: Map<string, Promise<Float32Array[]>>;
  /** Score inversion (Frankle et al. 2021): keep the lowest-scoring weights instead, at the same count. */
  invert?: boolean;
}

/** A method of pruning at initialisation: adding one is one file plus one line in index.ts. */
export interface AtInitMethod {
  name: Exclude<PruningMethod, 'magnitude'>;
  /** Paper and what it scores, for help texts. */
  description: string;
  needsData: boolean;
  mask(ctx: AtInitContext): Mask | Promise<Mask>;
}
