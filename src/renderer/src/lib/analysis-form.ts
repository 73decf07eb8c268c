import type { ExperimentSpecInput, RetrainMode } from '../../../shared/spec';
import { REESTIMATE_EXAMPLES, type BatchNormStats } from '../../../shared/analyses/stability';
import type { EarlyBirdRule } from '../../../shared/analyses/early-bird';

/** The wizard's fields for the issue-12 experiment kinds, schedules and early birds. */
export interface AnalysisForm {
  /** 'imp': find tickets (with a retraining mode); 'stability': the instability analysis instead. */
  kind: 'imp' | 'stability';
  retrain: RetrainMode;
  warmupIterations: number;
  milestonesText: string;
  gamma: number;
  weightDecay: number;
  earlyBird: 'off' | 'track' | 'prune';
  ebEpsilon: number;
  ebPatience: number;
  ebRule: EarlyBirdRule;
  rewindPointsText: string;
  interpolationPoints: number;
  threshold: number;
  /** Batch-norm networks only: the running statistics along the path. */
  bnStats: BatchNormStats;
}

export const KIND_INFO = {
  imp: 'Iterative magnitude pruning: train, prune, rewind, repeat (Frankle & Carbin 2019).',
  stability:
    'Instability analysis: from each starting point, two copies trained with different data order; the error barrier on the line between them says whether the network is stable (Frankle et al. 2020).',
} as const;

export const RETRAIN_INFO: Record<RetrainMode, { label: string; sentence: string }> = {
  rewind: { label: 'weight rewinding (LTH)', sentence: 'Survivors reset to θk and retrained T−k iterations: the lottery ticket experiment.' },
  'lr-rewind': { label: 'learning-rate rewinding', sentence: 'Trained weights kept; the learning-rate schedule replayed from k for T−k iterations (Renda et al. 2020).' },
  finetune: { label: 'fine-tuning', sentence: 'Trained weights kept; T−k more iterations at the final learning rate (Renda et al. 2020).' },
};

export const BN_STATS_INFO: Record<BatchNormStats, { label: string; sentence: string }> = {
  interpolate: { label: 'interpolate like the weights', sentence: "Each network on the path uses the mix of its ends' running statistics, as the weights are mixed." },
  reestimate: {
    label: 're-estimate for each network',
    sentence: `Each network on the path gets its own statistics from ${REESTIMATE_EXAMPLES.toLocaleString('en-US')} training examples: a mixed network's activations are not the mix of its ends', so interpolated statistics can inflate the barrier.`,
  },
};

export const EARLY_BIRD_SENTENCE = 'You et al. 2020: track how much the next round\'s mask still changes between evaluations; “prune” prunes each round once it has settled.';

export const EARLY_BIRD_RULE_INFO: Record<EarlyBirdRule, { label: string; hint: string }> = {
  reference: { label: 'newest within ε of the older masks (reference)', hint: 'masks kept; the newest must be within ε of each older one (5)' },
  consecutive: { label: 'consecutive distances under ε', hint: 'consecutive evaluations under ε (5)' },
};

export function analysisFromSpec(s: Partial<ExperimentSpecInput>): AnalysisForm {
  const sched = s.training?.schedule;
  return {
    kind: s.stability ? 'stability' : 'imp',
    retrain: s.pruning?.retrain ?? 'rewind',
    warmupIterations: sched?.warmupIterations ?? 0,
    milestonesText: (sched?.milestones ?? []).join(', '),
    gamma: sched?.gamma ?? 0.1,
    weightDecay: s.training?.weightDecay ?? 0,
    earlyBird: s.earlyBird ? (s.earlyBird.prune ? 'prune' : 'track') : 'off',
    ebEpsilon: s.earlyBird?.epsilon ?? 0.1,
    ebPatience: s.earlyBird?.patience ?? 5,
    // A new experiment: the reference rule unless the spec it starts from names one.
    ebRule: s.earlyBird?.rule ?? 'reference',
    rewindPointsText: (s.stability?.rewindPoints ?? [0]).join(', '),
    interpolationPoints: s.stability?.interpolationPoints ?? 30,
    threshold: s.stability?.threshold ?? 0.02,
    bnStats: s.stability?.batchNormStats ?? 'interpolate',
  };
}

function numbers(text: string, field: string): { values: number[]; error?: string } {
  const parts = text.split(/[\s,]+/).filter(Boolean);
  const values: number[] = [];
  for (const p of parts) {
    if (!/^\d+$/.test(p)) return { values, error: `"${p}" is not a whole number of iterations (${field})` };
    values.push(Number(p));
  }
  return { values };
}

/** The spec pieces; list fields typed as text report their own errors under the spec path they fill. */
/** `batchNorm`: whether the network has batch norm (the statistics choice applies only then). */
export function analysisSpec(f: AnalysisForm, batchNorm = false): {
  training: { schedule: { warmupIterations: number; milestones: number[]; gamma: number }; weightDecay: number };
  pruning: { retrain: RetrainMode };
  extra: Pick<ExperimentSpecInput, 'earlyBird' | 'stability'>;
  errors: Record<string, string>;
} {
  const errors: Record<string, string> = {};
  const milestones = numbers(f.milestonesText, 'milestones');
  if (milestones.error) errors['training.schedule.milestones'] = milestones.error;
  const points = numbers(f.rewindPointsText, 'rewind points');
  if (points.error) errors['stability.rewindPoints'] = points.error;
  const extra: Pick<ExperimentSpecInput, 'earlyBird' | 'stability'> = {};
  if (f.kind === 'stability') {
    extra.stability = {
      rewindPoints: points.values.length ? points.values : [0],
      interpolationPoints: f.interpolationPoints,
      threshold: f.threshold,
      ...(batchNorm && f.bnStats === 'reestimate' ? { batchNormStats: 'reestimate' as const } : {}),
    };
  }
  else if (f.earlyBird !== 'off') extra.earlyBird = { epsilon: f.ebEpsilon, patience: f.ebPatience, prune: f.earlyBird === 'prune', rule: f.ebRule };
  return {
    training: { schedule: { warmupIterations: f.warmupIterations, milestones: milestones.values, gamma: f.gamma }, weightDecay: f.weightDecay },
    pruning: { retrain: f.retrain },
    extra,
    errors,
  };
}
