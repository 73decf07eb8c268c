import type { ExperimentSpec, ExperimentSpecInput } from '../../../../shared/spec';
import type { KindViews, ReviewRow } from '../types';
import { imp, impRows } from '../imp';
import { evaluationsPerRun, n, times } from '../work';

/**
 * Early-bird tickets (You et al. 2020): IMP whose ticket runs track how much the next round's mask still changes
 * between evaluations, and with `prune` stop a round once it has settled.
 */

/** Patience against the evaluations a round makes: a distance needs two evaluations, so a round has one fewer. */
export function patienceProblem(spec: Pick<ExperimentSpecInput, 'earlyBird' | 'training' | 'pruning'>): string | null {
  const eb = spec.earlyBird;
  if (!eb) return null;
  const patience = eb.patience ?? 5;
  const k = spec.pruning.rewindIteration ?? 0;
  // The shortest round (a rewound one) makes the fewest evaluations.
  const evals = evaluationsPerRun(spec.training, spec.pruning.rounds > 1 ? k : 0);
  const distances = Math.max(0, evals - 1);
  if (patience <= distances) return null;
  return `a patience of ${n(patience)} needs ${n(patience + 1)} evaluations in a round, but a round makes ${times(evals, 'evaluation')} (every ${n(spec.training.evalInterval ?? 100)} of its ${n(spec.training.iterations - (spec.pruning.rounds > 1 ? k : 0))} iterations): the mask can never be found settled. Lower the patience or evaluate more often.`;
}

function earlyBirdRows(spec: ExperimentSpecInput, lists: Parameters<typeof impRows>[1]): ReviewRow[] {
  const eb = spec.earlyBird!;
  const problem = patienceProblem(spec);
  const rule = `mask distance has stayed under ε = ${eb.epsilon ?? 0.1} for ${times(eb.patience ?? 5, 'evaluation')} in a row`;
  const row: ReviewRow = {
    label: 'Early bird',
    value: eb.prune ? `each round but the last stops and prunes once the ${rule}` : `every round trains to the end; the iteration where the ${rule} is recorded`,
    note: `a round makes ${times(evaluationsPerRun(spec.training), 'evaluation')}`,
    ...(problem ? { warn: problem } : {}),
    testid: 'review-early-bird',
  };
  const rows = impRows(spec, lists);
  rows.splice(1, 0, row);
  return rows;
}

export const earlyBird: KindViews = {
  ...imp,
  title: 'Iterative magnitude pruning with early-bird tickets',
  review: earlyBirdRows,
  work: (spec: ExperimentSpec) => {
    const w = imp.work(spec);
    return spec.earlyBird?.prune ? { ...w, breakdown: `at most ${w.breakdown} (rounds stop early once the mask settles)` } : w;
  },
};
