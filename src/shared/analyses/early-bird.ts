/**
 * Early-bird tickets (You et al. 2020, "Drawing Early-Bird Tickets", arXiv 1909.11957): the mask magnitude
 * pruning would give emerges early in training. At every evaluation the lab computes that mask (the next
 * round's pruning rate, on the current weights) and its normalised Hamming distance to the previous
 * evaluation's; the ticket has emerged once the distance stays below ε for `patience` consecutive points.
 */
export interface EarlyBirdSeries {
  epsilon: number;
  patience: number;
  /** Evaluation iterations from the second on (a distance needs a previous mask). */
  iterations: number[];
  /** Normalised Hamming distance between the masks of consecutive evaluations, over all prunable weights. */
  distances: number[];
  /** The iteration at which the rule first held; null if it never did. */
  detectedAt: number | null;
  /** Whether training stopped there (the early-bird IMP mode) instead of running to the end. */
  stopped: boolean;
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
