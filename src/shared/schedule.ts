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
