/**
 * Early-bird tickets (You et al. 2020, "Drawing Early-Bird Tickets", arXiv 1909.11957): the mask magnitude
 * pruning would give emerges early in training. At every evaluation the lab computes that mask (the next
 * round's pruning rate, on the current weights) and its normalised Hamming distance to earlier ones.
 *
 * Two stopping rules:
 * - 'reference' (the authors' code, RICE-EIC/Early-Bird-Tickets `EarlyBird.early_bird_emerge`): keep the
 *   last `patience` masks (5); the ticket has emerged once the newest is within ε (distance <= ε) of each of
 *   the older ones, so slow drift cannot add up unseen.
 * - 'consecutive': the distance between consecutive evaluations stays below ε for `patience` points in a row.
 */
export const EARLY_BIRD_RULES = ['reference', 'consecutive'] as const;
export type EarlyBirdRule = (typeof EARLY_BIRD_RULES)[number];
/** The reference rule keeps this many masks at most (the authors keep 5). */
export const MAX_REFERENCE_PATIENCE = 20;

/**
 * What a distance is normalised over. 'survivors': the run's surviving weights in the layers the round
 * prunes, the only ones that can flip. 'all': every position of every layer, what the lab used before
 * (in round r about density × the distance over survivors, so ε acted like ε / density); such series
 * cannot be recomputed (their checkpoints kept one mask) and are never drawn beside the others.
 */
export type EarlyBirdDistanceOver = 'survivors' | 'all';

export interface EarlyBirdSeries {
  epsilon: number;
  /** 'reference': how many masks are kept (the newest is compared with patience − 1); 'consecutive': points in a row. */
  patience: number;
  rule: EarlyBirdRule;
  distanceOver: EarlyBirdDistanceOver;
  /** Evaluation iterations from the second on (a distance needs a previous mask). */
  iterations: number[];
  /** Normalised Hamming distance between the masks of consecutive evaluations. */
  distances: number[];
  /** Reference rule: the largest distance from each point's mask to the (up to patience − 1) masks before it; what it tests against ε. */
  spread?: number[];
  /** The iteration at which the rule first held; null if it never did. */
  detectedAt: number | null;
  /** Whether training stopped there (the early-bird IMP mode) instead of running to the end. */
  stopped: boolean;
}

/** The part of the spec that decides how a run is tracked (spec.earlyBird). */
export interface EarlyBirdSpecLike {
  rule?: EarlyBirdRule;
}

/**
 * How an experiment's early birds are computed. A spec without `rule` was stored before the rule was a
 * choice: it keeps the rule and the distance it ran with (consecutive, over all positions), so resuming it
 * never mixes two kinds of series. New experiments get `rule` written into their spec (withEarlyBirdRule).
 */
export function earlyBirdConventions(eb: EarlyBirdSpecLike): { rule: EarlyBirdRule; distanceOver: EarlyBirdDistanceOver } {
  return eb.rule ? { rule: eb.rule, distanceOver: 'survivors' } : { rule: 'consecutive', distanceOver: 'all' };
}

/** A new experiment's spec: early bird without a rule gets the reference rule, written in (it is part of the hash). */
export function withEarlyBirdRule<S extends { earlyBird?: (EarlyBirdSpecLike & object) | undefined }>(spec: S): S {
  if (!spec.earlyBird || spec.earlyBird.rule) return spec;
  return { ...spec, earlyBird: { ...spec.earlyBird, rule: 'reference' } };
}

/** A stored series as the current type: rows written before the fields existed were consecutive, over all positions. */
export function readEarlyBirdSeries(raw: Omit<EarlyBirdSeries, 'rule' | 'distanceOver'> & Partial<EarlyBirdSeries>): EarlyBirdSeries {
  return { ...raw, rule: raw.rule ?? 'consecutive', distanceOver: raw.distanceOver ?? 'all' };
}

/** Index of the point at which `patience` consecutive distances are all below ε; -1 if none. */
export function earlyBirdIndex(distances: readonly number[], epsilon: number, patience: number): number {
  let run = 0;
  for (let i = 0; i < distances.length; i++) {
    run = distances[i]! < epsilon ? run + 1 : 0;
    if (run >= patience) return i;
  }
  return -1;
}

/**
 * Reference rule: index of the first point whose mask had `patience` − 1 masks before it and lies within ε
 * of each (its spread <= ε); -1 if none. Point i is the mask of evaluation i + 1, so it has i + 1 before it.
 */
export function referenceEarlyBirdIndex(spread: readonly number[], epsilon: number, patience: number): number {
  for (let i = Math.max(0, patience - 2); i < spread.length; i++) if (spread[i]! <= epsilon) return i;
  return -1;
}

/** The quantity a series' rule compares with ε, one value per point. */
export function testedDistances(s: EarlyBirdSeries): number[] {
  return s.rule === 'reference' && s.spread ? s.spread : s.distances;
}

/** One sentence saying how a series was computed, for tables, panels and captions; old series say so first. */
export function earlyBirdRuleSentence(s: Pick<EarlyBirdSeries, 'rule' | 'patience' | 'epsilon' | 'distanceOver'>): string {
  const rule =
    s.rule === 'reference'
      ? `the newest of ${s.patience} masks within ε = ${s.epsilon} of each of the ${s.patience - 1} before it`
      : `${s.patience} consecutive distances below ε = ${s.epsilon}`;
  return s.distanceOver === 'survivors'
    ? `distances over the surviving weights of the pruned layers; rule: ${rule}`
    : `stored before the distance fix: distances over all weights (about density × the distance over survivors; cannot be recomputed); rule: ${rule}`;
}
