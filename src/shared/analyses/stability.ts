/**
 * Instability analysis (Frankle, Dziugaite, Roy & Carbin 2020, "Linear Mode Connectivity and the Lottery
 * Ticket Hypothesis", arXiv 1912.05671): train two copies of a network from the same starting point with
 * different SGD noise, and measure the error along the straight line between the two trained weight sets.
 * The instability is the error barrier: the largest error on the path minus the mean error of its ends.
 */

/** One starting point of one trial: the two copies' interpolation path and its barrier. */
export interface StabilityPointResult {
  trial: number;
  /** Index of the starting point in the experiment's list (rewind points, or rounds of a source experiment). */
  point: number;
  /** How a reader names the point: "k = 500", "round 3", "ticket t_…". */
  label: string;
  /** The iteration both copies start from (k) and train from, to the end. */
  startIteration: number;
  weightsRemaining: number;
  /** α = 0, 1/N, …, 1: weights (1 − α)·θA + α·θB. */
  alphas: number[];
  /** Test error (1 − accuracy) at each α; the ends are the two trained copies exactly. */
  testError: number[];
  /** max over α of testError − mean(testError at α = 0 and 1). */
  barrier: number;
  /** Test accuracy of copies A and B at the end of training. */
  endpoints: [number, number];
  durationMs: number;
  /** The two copies' training curves, A then B (absent from results stored before they were kept). */
  curves?: [import('../results').EvalPoint[], import('../results').EvalPoint[]];
}

export const DEFAULT_STABILITY_THRESHOLD = 0.02;

export function interpolationAlphas(points: number): number[] {
  return Array.from({ length: points + 1 }, (_, i) => i / points);
}

/** The error barrier of a path; 0 for a path whose error never rises above its ends' mean. */
export function errorBarrier(errors: readonly number[]): number {
  if (errors.length < 2) throw new RangeError('errorBarrier: a path needs at least its two ends');
  const ends = (errors[0]! + errors[errors.length - 1]!) / 2;
  return Math.max(0, Math.max(...errors) - ends);
}

export interface StabilitySummary {
  point: number;
  label: string;
  startIteration: number;
  weightsRemaining: number;
  trials: number;
  barrier: { mean: number; min: number; max: number };
  stable: boolean;
}

/** Per point, mean and min/max of the barrier over trials; stable when the mean is under the threshold. */
export function summarizeStability(results: readonly StabilityPointResult[], threshold: number): StabilitySummary[] {
  const byPoint = new Map<number, StabilityPointResult[]>();
  for (const r of results) byPoint.set(r.point, [...(byPoint.get(r.point) ?? []), r]);
  return [...byPoint.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([point, rs]) => {
      const b = rs.map((r) => r.barrier);
      const mean = b.reduce((x, y) => x + y, 0) / b.length;
      return {
        point,
        label: rs[0]!.label,
        startIteration: rs[0]!.startIteration,
        weightsRemaining: rs[0]!.weightsRemaining,
        trials: rs.length,
        barrier: { mean, min: Math.min(...b), max: Math.max(...b) },
        stable: mean < threshold,
      };
    });
}

/** The earliest rewind point from which every later point is stable: what late rewinding should use. */
export function suggestedRewindPoint(summary: readonly StabilitySummary[]): number | null {
  const sorted = [...summary].sort((a, b) => a.startIteration - b.startIteration);
  for (let i = 0; i < sorted.length; i++) if (sorted.slice(i).every((s) => s.stable)) return sorted[i]!.startIteration;
  return null;
}

/**
 * What the running statistics of batch norm are along the path: 'interpolate' mixes them like the weights
 * (the default, and the only choice without batch norm); 'reestimate' recomputes them for each network on the
 * path from REESTIMATE_EXAMPLES training examples, as an interpolated network's own statistics are not the
 * mix of its ends' (Jordan et al. 2023, "REPAIR", reset the statistics the same way).
 */
export const BATCH_NORM_STATS = ['interpolate', 'reestimate'] as const;
export type BatchNormStats = (typeof BATCH_NORM_STATS)[number];

/** Training examples whose batch statistics replace a path network's running averages (whole batches, rounded up). */
export const REESTIMATE_EXAMPLES = 4096;

/** One sentence on batch norm's statistics along the path, for captions and summaries; null without batch norm. */
export function batchNormStatsNote(spec: { network: { batchNorm?: boolean | undefined }; stability?: { batchNormStats?: BatchNormStats | undefined } | undefined }): string | null {
  if (spec.network.batchNorm !== true) return null;
  return spec.stability?.batchNormStats === 'reestimate'
    ? `Batch-norm statistics re-estimated for each network on the path from ${REESTIMATE_EXAMPLES.toLocaleString('en-US')} training examples.`
    : 'Batch-norm statistics interpolated like the weights.';
}
