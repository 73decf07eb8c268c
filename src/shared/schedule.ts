import type { ScheduleSpec, TrainingSpec } from './spec';

const NO_SCHEDULE: ScheduleSpec = { warmupIterations: 0, milestones: [], gamma: 0.1 };

/**
 * The learning rate of the step that takes iteration `iteration` to `iteration + 1`, as open_lth computes it
 * (training/optimizers.py): warmup factor min(1, it / W), times gamma for every milestone <= it. Specs stored
 * before schedules existed have none: a constant rate.
 */
export function learningRateAt(training: Pick<TrainingSpec, 'learningRate'> & { schedule?: ScheduleSpec }, iteration: number): number {
  const s = training.schedule ?? NO_SCHEDULE;
  let lr = training.learningRate;
  if (s.warmupIterations > 0) lr *= Math.min(1, iteration / s.warmupIterations);
  for (const m of s.milestones) if (iteration >= m) lr *= s.gamma;
  return lr;
}

/** The rate of the last step of training: what fine-tuning trains at. */
export function finalLearningRate(training: Pick<TrainingSpec, 'learningRate' | 'iterations'> & { schedule?: ScheduleSpec }): number {
  return learningRateAt(training, training.iterations - 1);
}

/**
 * A schedule for a run of `to` iterations instead of `from`. open_lth states warmup and milestones in epochs of
 * the training length, so a shortened preset keeps their place in it: x' = round(x · to / from), at least 1.
 * Milestones that land on the same iteration merge into one; one that reaches `to` would never apply and is
 * dropped, as is a warmup that would (warmup 0 = none).
 */
export function scaleSchedule(s: Partial<ScheduleSpec>, from: number, to: number): ScheduleSpec {
  const scale = (x: number) => Math.max(1, Math.round((x * to) / from));
  const milestones: number[] = [];
  for (const m of s.milestones ?? []) {
    const x = scale(m);
    if (x < to && x !== milestones.at(-1)) milestones.push(x);
  }
  const w = s.warmupIterations ?? 0;
  const warmupIterations = w > 0 && scale(w) < to ? scale(w) : 0;
  return { warmupIterations, milestones, gamma: s.gamma ?? NO_SCHEDULE.gamma };
}
