import type { Preset } from '../../../shared/presets';
import { scaleSchedule } from '../../../shared/schedule';
import type { AnalysisForm } from './analysis-form';

const numbers = (text: string) => text.split(/[\s,]+/).filter(Boolean).map(Number);

/**
 * A new iteration count for a form built from `preset`: a warmup and milestones that are still the preset's (as
 * scaled to `from` iterations) follow the training length to `to` (the CLI's --iterations rule, scaleSchedule);
 * typed ones stay. Returns whether anything changed.
 */
export function followIterations(a: Pick<AnalysisForm, 'warmupIterations' | 'milestonesText'>, preset: Preset | undefined, from: number, to: number): boolean {
  const given = preset?.spec.training.schedule;
  const ok = (t: number) => Number.isInteger(t) && t >= 1;
  if (!preset || !given || !ok(from) || !ok(to) || from === to) return false;
  const T = preset.spec.training.iterations;
  const was = scaleSchedule(given, T, from);
  const next = scaleSchedule(given, T, to);
  let changed = false;
  if ((given.warmupIterations ?? 0) > 0 && a.warmupIterations === was.warmupIterations && next.warmupIterations !== was.warmupIterations) {
    a.warmupIterations = next.warmupIterations;
    changed = true;
  }
  if ((given.milestones ?? []).length > 0 && JSON.stringify(numbers(a.milestonesText)) === JSON.stringify(was.milestones) && JSON.stringify(next.milestones) !== JSON.stringify(was.milestones)) {
    a.milestonesText = next.milestones.join(', ');
    changed = true;
  }
  return changed;
}
