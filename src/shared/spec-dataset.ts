import type { DatasetInfo } from './results';
import { SpecError, type ExperimentSpec } from './spec';

/**
 * What a valid spec still cannot do on one dataset. The schema cannot know the dataset's size, and an
 * experiment stored past this point would fail at its first run and offer a Resume that can never succeed.
 */
export function specDatasetIssues(spec: Pick<ExperimentSpec, 'training'>, dataset: Pick<DatasetInfo, 'name' | 'trainCount'>): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  const v = spec.training.validationSize;
  if (v >= dataset.trainCount) {
    issues.push({
      path: 'training.validationSize',
      message: `${v.toLocaleString('en-US')} is not below the ${dataset.trainCount.toLocaleString('en-US')} training examples of dataset '${dataset.name}' (at least one must be left to train on)`,
    });
  }
  return issues;
}

/** Throws a SpecError naming each field that does not fit the dataset; the store is left untouched. */
export function assertSpecFitsDataset(spec: Pick<ExperimentSpec, 'training'>, dataset: Pick<DatasetInfo, 'name' | 'trainCount'>): void {
  const issues = specDatasetIssues(spec, dataset);
  if (issues.length) throw new SpecError(`the spec does not fit dataset '${dataset.name}':\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`, issues);
}
