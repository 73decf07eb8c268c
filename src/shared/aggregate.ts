import type { RunResult, WinningTicket } from './results';
import type { Variant } from './spec';

export interface Stat {
  mean: number;
  std: number;
  min: number;
  max: number;
  n: number;
}

export function stat(values: readonly number[]): Stat {
  const n = values.length;
  if (n === 0) return { mean: NaN, std: NaN, min: NaN, max: NaN, n: 0 };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  // Sample standard deviation: trials are a sample of seeds; 0 for a single trial.
  const std = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, min: Math.min(...values), max: Math.max(...values), n };
}

/** Trials of one variant at one round, aggregated as the paper reports them (mean with min/max). */
export interface RoundAggregate {
  variant: Variant;
  round: number;
  weightsRemaining: Stat;
  earlyStopIteration: Stat;
  valAccuracy: Stat;
  testAccuracy: Stat;
  finalTestAccuracy: Stat;
}

export function aggregateRuns(runs: readonly RunResult[]): RoundAggregate[] {
  const groups = new Map<string, RunResult[]>();
  for (const r of runs) {
    const key = `${r.variant}\u0000${r.round}`;
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  }
  const order: Variant[] = ['ticket', 'reinit', 'random'];
  return [...groups.values()]
    .map((g) => ({
      variant: g[0]!.variant,
      round: g[0]!.round,
      weightsRemaining: stat(g.map((r) => r.weightsRemaining)),
      earlyStopIteration: stat(g.map((r) => r.earlyStopIteration)),
      valAccuracy: stat(g.map((r) => r.valAccuracy)),
      testAccuracy: stat(g.map((r) => r.testAccuracy)),
      finalTestAccuracy: stat(g.map((r) => r.finalTestAccuracy)),
    }))
    .sort((a, b) => order.indexOf(a.variant) - order.indexOf(b.variant) || a.round - b.round);
}

export type WinningTicketVerdict =
  | { ticket: WinningTicket; reason: null }
  | { ticket: null; reason: string };

/**
 * The researcher's question: how much can be removed without losing accuracy?
 * The sparsest pruned round whose ticket (mean over trials) reaches at least the dense network's
 * validation accuracy minus `tolerance` at early stop, no later than the dense network stops.
 * Chosen on validation data only; test accuracy is reported, never used to choose.
 */
export function chooseWinningTicket(runs: readonly RunResult[], tolerance: number): WinningTicketVerdict {
  const tickets = aggregateRuns(runs.filter((r) => r.variant === 'ticket'));
  const dense = tickets.find((t) => t.round === 0);
  if (!dense) return { ticket: null, reason: 'the dense network (round 0) has not been trained yet' };
  if (dense.weightsRemaining.mean < 1) {
    return { ticket: null, reason: 'round 0 is already sparse (a transferred ticket): there is no dense network to compare with' };
  }
  const qualifying = tickets.filter(
    (t) =>
      t.round > 0 &&
      t.valAccuracy.mean >= dense.valAccuracy.mean - tolerance - 1e-12 &&
      t.earlyStopIteration.mean <= dense.earlyStopIteration.mean,
  );
  if (qualifying.length === 0) {
    const pruned = tickets.filter((t) => t.round > 0).length;
    return {
      ticket: null,
      reason:
        pruned === 0
          ? 'no pruned round has finished yet'
          : `no pruned round reached the dense validation accuracy (${(dense.valAccuracy.mean * 100).toFixed(2)}%) minus ${(tolerance * 100).toFixed(2)} points no later than the dense network's early stop (iteration ${dense.earlyStopIteration.mean})`,
    };
  }
  const best = qualifying.reduce((a, b) => (b.weightsRemaining.mean < a.weightsRemaining.mean ? b : a));
  return {
    ticket: {
      round: best.round,
      weightsRemaining: best.weightsRemaining.mean,
      valAccuracy: best.valAccuracy.mean,
      testAccuracy: best.testAccuracy.mean,
      earlyStopIteration: best.earlyStopIteration.mean,
    },
    reason: null,
  };
}
