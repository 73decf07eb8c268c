import type { ExperimentSpec, ExperimentSpecInput } from '../../../../shared/spec';
import type { SweepLists } from '../../../../shared/sweep';
import { remainingPerRound, type PlannedLayer } from '../../lib/estimate';
import { pruningLine } from '../../lib/review-lines';
import { VARIANT_STYLE } from '../../charts/palette';
import { pct } from '../../lib/format';
import type { KindViews, PlanBar, ReviewRow, Work, WizardGroup } from '../types';
import { besideCount, besideWords, n, supermaskWords, times } from '../work';

/** Iterative magnitude pruning (Frankle & Carbin 2019): train, prune, rewind, repeat. */
export const IMP_FIELDS: ReadonlySet<WizardGroup> = new Set<WizardGroup>(['strategy', 'rates', 'rounds', 'oneShot', 'rewind', 'retrain', 'earlyBird', 'method', 'controls', 'sweep', 'tolerance']);

export function impRows(spec: ExperimentSpecInput, lists: SweepLists): ReviewRow[] {
  const s = { controls: spec.controls ?? [], ablations: spec.ablations ?? [] };
  const beside = besideWords(s);
  const rounds = spec.pruning.rounds;
  return [
    { label: 'Pruning', value: pruningLine(spec.pruning, lists.rewind), testid: 'review-pruning' },
    {
      label: 'Beside each pruned round',
      value: [beside.length ? beside.join(', ') : 'no controls', spec.supermasks ? supermaskWords(spec) : ''].filter(Boolean).join(' · '),
      testid: 'review-controls',
      ...(rounds < 2 ? { note: 'one round is the dense network alone: nothing is pruned' } : {}),
    },
    { label: 'Trials', value: `${times(spec.trials ?? 1, 'trial')}, seed ${spec.seed ?? 0}`, testid: 'review-trials' },
    { label: 'Winning ticket', value: `the smallest round whose validation accuracy is within ${n(Math.round((spec.tolerance ?? 0.002) * 10000) / 100)} points of the dense network's`, testid: 'review-verdict' },
  ];
}

export function impWork(spec: ExperimentSpec): Work {
  const R = spec.pruning.rounds;
  const T = spec.training.iterations;
  const k = spec.pruning.rewindIteration;
  const v = besideCount(spec);
  const perTrial = R + (R - 1) * v;
  const runs = spec.trials * perTrial;
  const iterations = spec.trials * (T + (R - 1) * (1 + v) * (T - k));
  const evaluations = spec.supermasks ? spec.trials * R * 2 : 0;
  const parts = `${times(R, 'round')}${v && R > 1 ? ` + ${R - 1} pruned × ${v} beside` : ''}`;
  return {
    runs,
    iterations,
    evaluations,
    breakdown: `${spec.trials > 1 ? `${spec.trials} trials × (${parts})` : parts} = ${times(runs, 'training run')}${evaluations ? ` + ${evaluations} supermask evaluations` : ''}`,
  };
}

export function impPlan(spec: ExperimentSpecInput, layers: PlannedLayer[]): PlanBar[] {
  const p = spec.pruning;
  return remainingPerRound(layers, { strategy: p.strategy ?? 'layerwise', rates: p.rates, globalRate: p.globalRate ?? 0.2, rounds: p.rounds }).map((r, i) => ({
    label: String(i),
    remaining: r,
    title: `round ${i}: ${pct(r, 2)}`,
  }));
}

export const imp: KindViews = {
  title: 'Iterative magnitude pruning',
  step: { one: 'round', many: 'rounds', run: 'round', counted: 'rounds' },
  fields: IMP_FIELDS,
  review: impRows,
  work: impWork,
  planTitle: 'Weights remaining after each round',
  plan: impPlan,
  stepLabel: (round) => `round ${round}`,
  variantLabel: (v) => VARIANT_STYLE[v].label,
  prunesFurther: true,
  mainVariant: 'ticket',
};
