import type { ExperimentSpec, ExperimentSpecInput } from '../../../../shared/spec';
import { BN_STATS_INFO } from '../../lib/analysis-form';
import type { PlannedLayer } from '../../lib/estimate';
import type { KindViews, PlanBar, ReviewRow, Work, WizardGroup } from '../types';
import { n, times } from '../work';
import InstabilityDetail from './InstabilityDetail.vue';

/**
 * Instability analysis (Frankle et al. 2020): from each starting point two copies trained to the end with different
 * data order, and the error barrier on the line between them. Nothing is pruned; no rounds, controls or tickets.
 */

const pointsOf = (spec: { stability?: { rewindPoints?: number[] } }) => spec.stability?.rewindPoints ?? [0];

function startsWords(spec: ExperimentSpecInput): string {
  if (spec.stability?.sourceExperimentId) return `every round of experiment ${spec.stability.sourceExperimentId}: its masks and rewind weights`;
  if (spec.sourceTicketId) return `the ticket ${spec.sourceTicketId}: its mask and rewind weights`;
  return `k = ${pointsOf(spec).map(n).join(', ')}: the dense network's weights after k iterations`;
}

function rows(spec: ExperimentSpecInput): ReviewRow[] {
  const s = spec.stability ?? {};
  const N = s.interpolationPoints ?? 30;
  return [
    { label: 'Starting points', value: startsWords(spec), testid: 'review-starts' },
    { label: 'Copies', value: `2 per starting point and trial, each trained from its starting point to iteration ${n(spec.training.iterations)} with its own data order`, testid: 'review-copies' },
    { label: 'Path', value: `${n(N + 1)} networks on the line between the copies (α = 0, 1/${N}, …, 1), each scored on the test set`, testid: 'review-path' },
    {
      label: 'Stable',
      value: `when the mean error barrier is below ${n(Math.round((s.threshold ?? 0.02) * 10000) / 100)}%`,
      ...(spec.network.batchNorm ? { note: `batch-norm statistics along the path: ${BN_STATS_INFO[s.batchNormStats ?? 'interpolate'].label}` } : {}),
      testid: 'review-threshold',
    },
    { label: 'Trials', value: `${times(spec.trials ?? 1, 'trial')} (a pair of copies each), seed ${spec.seed ?? 0}`, testid: 'review-trials' },
  ];
}

function work(spec: ExperimentSpec): Work {
  const T = spec.training.iterations;
  const ks = pointsOf(spec);
  const t = spec.trials;
  // From a dense start k > 0, a parent run trains θ0 to k first (once per trial and point).
  const parents = ks.filter((k) => k > 0).length * t;
  const copies = t * ks.length * 2;
  const inner = `${times(ks.length, 'starting point')} × 2 copies`;
  return {
    runs: copies + parents,
    iterations: t * ks.reduce((a, k) => a + k + 2 * (T - k), 0),
    evaluations: 0,
    breakdown: `${t > 1 ? `${t} trials × ${inner}` : inner} = ${times(copies, 'copy', 'copies')}${parents ? ` + ${times(parents, 'run')} to k` : ''}${spec.stability?.sourceExperimentId ? ' per round of the source experiment' : ''}`,
  };
}

function plan(spec: ExperimentSpecInput, _layers: PlannedLayer[]): PlanBar[] {
  return pointsOf(spec).map((k) => ({ label: `k = ${n(k)}`, remaining: 1, title: `two copies from the dense network at iteration ${n(k)}` }));
}

export const instability: KindViews = {
  title: 'Instability analysis',
  step: { one: 'starting point', many: 'starting points', run: 'copy', counted: 'points' },
  fields: new Set<WizardGroup>(),
  review: (spec) => rows(spec),
  work,
  planTitle: 'Starting points (every weight kept)',
  plan,
  stepLabel: (point, d) => d.stability?.points.find((p) => p.point === point)?.label ?? (d.spec.stability?.sourceExperimentId ? `starting point ${point + 1}` : `k = ${n(pointsOf(d.spec)[point] ?? 0)}`),
  variantLabel: () => 'copies',
  prunesFurther: false,
  mainVariant: 'ticket',
  detail: InstabilityDetail,
};
