import type { RunResult, TrialStat, WinningTicket } from './results';
import { VariantSchema, type Variant } from './spec';

export type Stat = TrialStat;

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
  const order: readonly Variant[] = VariantSchema.options;
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
 * Chosen on validation data only; test accuracy is reported, never used to choose. A round takes part
 * only once every one of the experiment's `trials` has trained it: a mean over some trials is another number.
 */
/** `step`: what a pruned step is called in the reason (pruning at initialisation prunes to densities, not rounds). */
export function chooseWinningTicket(runs: readonly RunResult[], tolerance: number, trials = 1, step: 'round' | 'density' = 'round'): WinningTicketVerdict {
  const all = aggregateRuns(runs.filter((r) => r.variant === 'ticket'));
  const tickets = all.filter((t) => t.valAccuracy.n >= trials);
  const dense = tickets.find((t) => t.round === 0);
  if (!dense) {
    const partial = all.find((t) => t.round === 0);
    return {
      ticket: null,
      reason: partial
        ? `the dense network (round 0) has been trained by ${partial.valAccuracy.n} of ${trials} trials`
        : 'the dense network (round 0) has not been trained yet',
    };
  }
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
          ? trials > 1
            ? `no pruned ${step} has been trained by all ${trials} trials yet`
            : `no pruned ${step} has finished yet`
          : `no pruned ${step} reached the dense validation accuracy (${(dense.valAccuracy.mean * 100).toFixed(2)}%) minus ${(tolerance * 100).toFixed(2)} points no later than the dense network's early stop (iteration ${dense.earlyStopIteration.mean})`,
    };
  }
  const best = qualifying.reduce((a, b) => (b.weightsRemaining.mean < a.weightsRemaining.mean ? b : a));
  const perTrial = runs
    .filter((r) => r.variant === 'ticket' && r.round === best.round)
    .sort((a, b) => a.trial - b.trial)
    .map((r) => ({
      trial: r.trial,
      weightsRemaining: r.weightsRemaining,
      valAccuracy: r.valAccuracy,
      testAccuracy: r.testAccuracy,
      earlyStopIteration: r.earlyStopIteration,
    }));
  return {
    ticket: {
      round: best.round,
      weightsRemaining: best.weightsRemaining.mean,
      valAccuracy: best.valAccuracy.mean,
      testAccuracy: best.testAccuracy.mean,
      earlyStopIteration: best.earlyStopIteration.mean,
      trials: perTrial.length,
      spread: { valAccuracy: best.valAccuracy, testAccuracy: best.testAccuracy, earlyStopIteration: best.earlyStopIteration },
      perTrial,
    },
    reason: null,
  };
}
