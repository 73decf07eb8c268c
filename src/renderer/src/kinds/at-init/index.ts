import type { ExperimentSpec, ExperimentSpecInput, PruningSpec } from '../../../../shared/spec';
import { VARIANT_STYLE } from '../../charts/palette';
import { METHOD_INFO } from '../../lib/pruning-methods';
import { pct } from '../../lib/format';
import type { PlannedLayer } from '../../lib/estimate';
import type { KindViews, PlanBar, ReviewRow, Work, WizardGroup } from '../types';
import { besideCount, besideWords, n, supermaskWords, times } from '../work';

/**
 * Pruning at initialisation (SNIP, GraSP, SynFlow, magnitude or random at init): θ0 pruned once to each density
 * before any training, one network trained per density beside the dense network. No rounds, no rewinding.
 */

const densitiesOf = (spec: { pruning: { densities?: number[] } }) => spec.pruning.densities ?? [];
const LAYER_WORDS: Record<keyof PruningSpec['rates'], string> = { conv: 'conv', dense: 'hidden dense', output: 'output' };

function rows(spec: ExperimentSpecInput): ReviewRow[] {
  const method = spec.pruning.method ?? 'magnitude';
  const d = densitiesOf(spec);
  const beside = besideWords({ controls: spec.controls ?? [], ablations: spec.ablations ?? [] });
  const rates = spec.pruning.rates;
  const hasConv = !!spec.network.residual || (spec.network.conv ?? []).some((l) => l !== 'pool');
  const pruned = (Object.keys(LAYER_WORDS) as (keyof PruningSpec['rates'])[]).filter((k) => rates[k] > 0 && (k !== 'conv' || hasConv)).map((k) => LAYER_WORDS[k]);
  const left = (Object.keys(LAYER_WORDS) as (keyof PruningSpec['rates'])[]).filter((k) => k !== 'conv' && rates[k] === 0).map((k) => LAYER_WORDS[k]);
  return [
    { label: 'Method', value: `${METHOD_INFO[method].label}: θ0 pruned once to each density before training`, note: METHOD_INFO[method].sentence, testid: 'review-method' },
    {
      label: 'Densities',
      value: `${d.map((x) => pct(x, x < 0.01 ? 2 : 1)).join(', ') || '—'} of the weights kept · one network trained at each, beside the dense network`,
      note: `pruned: ${pruned.join(', ') || 'nothing'} layers${left.length ? ` · left dense: ${left.join(', ')}` : ''}${method === 'synflow' ? ` · ${n(spec.pruning.synflowIterations ?? 100)} SynFlow iterations` : ''}`,
      testid: 'review-densities',
    },
    { label: 'Beside each density', value: beside.length ? beside.join(', ') : 'nothing: no controls or ablations', testid: 'review-ablations' },
    { label: 'Supermasks', value: spec.supermasks ? supermaskWords(spec) : 'off', testid: 'review-supermasks' },
    { label: 'Trials', value: `${times(spec.trials ?? 1, 'trial')}, seed ${spec.seed ?? 0}`, testid: 'review-trials' },
    { label: 'Matching', value: `the sparsest density whose validation accuracy is within ${n(Math.round((spec.tolerance ?? 0.002) * 10000) / 100)} points of the dense network's`, testid: 'review-verdict' },
  ];
}

function work(spec: ExperimentSpec): Work {
  const D = densitiesOf(spec).length;
  const v = besideCount(spec);
  const perTrial = 1 + D * (1 + v);
  const runs = spec.trials * perTrial;
  const evaluations = spec.supermasks ? spec.trials * (D + 1) * 2 : 0;
  const inner = `dense + ${times(D, 'density', 'densities')}${v ? ` × (1 + ${v} beside)` : ''}`;
  return {
    runs,
    iterations: runs * spec.training.iterations,
    evaluations,
    breakdown: `${spec.trials > 1 ? `${spec.trials} trials × (${inner})` : inner} = ${times(runs, 'training run')}${evaluations ? ` + ${evaluations} supermask evaluations` : ''}`,
  };
}

function plan(spec: ExperimentSpecInput, layers: PlannedLayer[]): PlanBar[] {
  const total = layers.reduce((a, l) => a + l.weights, 0) || 1;
  const prunable = layers.filter((l) => spec.pruning.rates[l.kind] > 0).reduce((a, l) => a + l.weights, 0);
  return [
    { label: 'dense', remaining: 1, title: 'the dense network: every weight' },
    ...densitiesOf(spec).map((d) => {
      const r = (total - prunable + d * prunable) / total;
      return { label: pct(d, d < 0.01 ? 2 : 0), remaining: r, title: `density ${pct(d, 2)} of the pruned layers: ${pct(r, 2)} of all weights` };
    }),
  ];
}

export const AT_INIT_FIELDS: ReadonlySet<WizardGroup> = new Set<WizardGroup>(['strategy', 'rates', 'method', 'controls', 'sweep', 'tolerance']);

export const atInit: KindViews = {
  title: 'Pruning at initialisation',
  step: { one: 'density', many: 'densities', run: 'network', counted: 'densities' },
  fields: AT_INIT_FIELDS,
  review: (spec) => rows(spec),
  work,
  planTitle: 'Weights kept at each density',
  plan,
  stepLabel: (round, d) => (round === 0 ? 'dense' : `density ${pct(densitiesOf(d.spec)[round - 1], 1)}`),
  variantLabel: (v, spec) => (v === 'ticket' ? `${METHOD_INFO[spec.pruning.method].label} mask` : VARIANT_STYLE[v].label),
  prunesFurther: false,
  mainVariant: 'ticket',
};
