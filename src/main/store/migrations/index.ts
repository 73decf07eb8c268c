import { initial } from './001_initial';
import { checkpoints } from './002_checkpoints';
import { engineVersion } from './003_engine_version';
import { analysisResults } from './004_analysis_results';
import { openVariants } from './005_variants';
import { experimentRecords } from './006_experiment_records';
import { trainLossSteps } from './007_train_loss_steps';
import type { Migration } from './types';

export type { Migration };

/** In version order, 1, 2, 3, … with no gap; PRAGMA user_version is the last one applied. */
export const MIGRATIONS: readonly Migration[] = [initial, checkpoints, engineVersion, analysisResults, openVariants, experimentRecords, trainLossSteps].sort((a, b) => a.version - b.version);

export const LATEST_VERSION = MIGRATIONS.at(-1)!.version;
