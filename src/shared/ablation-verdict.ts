import { aggregateRuns } from './aggregate';
import type { RunResult } from './results';
import type { ExperimentSpec, Variant } from './spec';
import { storedVariant } from './variants';

/** One ablation against the method's own masks at one round (mean over the trials that trained both). */
export interface AblationRound {
  round: number;
  weightsRemaining: number;
  /** Validation accuracy at early stop of the method's mask and of its ablation; test accuracy reported beside. */
  valAccuracy: number;
  ablatedValAccuracy: number;
  testAccuracy: number;
  ablatedTestAccuracy: number;
  survives: boolean;
}

export interface AblationVerdict {
  ablation: Variant;
  /** The stored variant whose runs answer for it: 'random' for 'shuffle' when both were asked for (one run, both names). */
  runsOf: Variant;
  /** True when the ablated masks reach the method's accuracy within the tolerance at every compared round. */
  survives: boolean;
  rounds: AblationRound[];
}

/**
 * The question of Frankle et al. 2021: does the method's accuracy survive each ablation? At each pruned round that
 * every trial has trained for both, the ablation survives when its mean validation accuracy at early stop is at
 * least the method's minus `tolerance` (the winning-ticket rule's tolerance). Chosen on validation data, as the
 * winning ticket is.
 */
export function ablationVerdicts(
  runs: readonly RunResult[],
  spec: Pick<ExperimentSpec, 'controls' | 'tolerance'> & { ablations?: readonly Variant[]; trials?: number },
): AblationVerdict[] {
  const { tolerance } = spec;
  const aggs = aggregateRuns(runs).filter((a) => a.valAccuracy.n >= (spec.trials ?? 1));
  return (spec.ablations ?? []).map((ablation) => {
    const runsOf = storedVariant(spec, ablation);
    const rounds: AblationRound[] = [];
    for (const a of aggs.filter((x) => x.variant === runsOf && x.round > 0).sort((x, y) => x.round - y.round)) {
      const own = aggs.find((x) => x.variant === 'ticket' && x.round === a.round);
      if (!own) continue;
      rounds.push({
        round: a.round,
        weightsRemaining: own.weightsRemaining.mean,
        valAccuracy: own.valAccuracy.mean,
        ablatedValAccuracy: a.valAccuracy.mean,
        testAccuracy: own.testAccuracy.mean,
        ablatedTestAccuracy: a.testAccuracy.mean,
        survives: a.valAccuracy.mean >= own.valAccuracy.mean - tolerance - 1e-12,
      });
    }
    return { ablation, runsOf, survives: rounds.length > 0 && rounds.every((r) => r.survives), rounds };
  });
}

const pct = (x: number, d = 1) => `${(x * 100).toFixed(d)}%`;

/** One line per ablation, for the CLI: e.g. "shuffle: survives at 4 of 4 densities (…)". */
export function ablationLines(verdicts: readonly AblationVerdict[], tolerance: number): string[] {
  return verdicts.map((v) => {
    const name = v.runsOf === v.ablation ? v.ablation : `${v.ablation} (= ${v.runsOf}: the same distribution, one run trained for both)`;
    if (v.rounds.length === 0) return `  ${name}: not compared yet (no pruned round trained by every trial for both)`;
    const ok = v.rounds.filter((r) => r.survives).length;
    const detail = v.rounds
      .map((r) => `${pct(r.weightsRemaining)}: ${pct(r.valAccuracy, 2)} vs ${pct(r.ablatedValAccuracy, 2)}${r.survives ? '' : ' ✗'}`)
      .join(', ');
    const head = v.survives ? 'survives' : ok === 0 ? 'does not survive' : `survives at ${ok} of ${v.rounds.length} sparsities`;
    return `  ${name}: ${head} within ${(tolerance * 100).toFixed(2)} points (val accuracy, method vs ablated: ${detail})`;
  });
}
