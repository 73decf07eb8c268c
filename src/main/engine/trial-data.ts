import type { ExperimentSpec } from '../../shared/spec';
import { normalizationTable, splitNormalizationTable, splitTrainValidation } from './data/batches';
import type { LoadedDataset } from './data/types';
import { trialSeed } from './random';

export interface TrialData {
  seed: number;
  split: { trainIdx: Uint32Array; valIdx: Uint32Array };
  /** Pixel value -> normalised input, per channel. */
  lut: Float32Array;
}

/** What every pass over a trial's data shares (training, evaluation, scoring, batch-norm statistics). */
export function trialData(spec: Pick<ExperimentSpec, 'seed' | 'engineVersion' | 'training'>, trial: number, data: LoadedDataset): TrialData {
  const seed = trialSeed(spec, trial);
  const v = spec.training.validationSize;
  const split = splitTrainValidation(data.trainLabels.length, v, seed);
  // Engine version 1 normalised with statistics over every training image, the validation split included.
  const lut = (spec.engineVersion ?? 1) >= 2 ? splitNormalizationTable(data, split.trainIdx, `${seed}:${v}`) : normalizationTable(data);
  return { seed, split, lut };
}
