import { initial } from './001_initial';
import { checkpoints } from './002_checkpoints';
import { engineVersion } from './003_engine_version';
import { analysisResults } from './004_analysis_results';
import { openVariants } from './006_variants';
import { experimentRecords } from './007_experiment_records';
import type { Migration } from './types';

export type { Migration };

/**
 * In increasing version order, starting at 1; PRAGMA user_version is the last one applied. Versions may skip a
 * number (5 is reserved for work not merged yet): a reserved migration must land before any database reaches a
 * later version, since one at version v is only applied to databases below v.
 */
export const MIGRATIONS: readonly Migration[] = [initial, checkpoints, engineVersion, analysisResults, openVariants, experimentRecords].sort((a, b) => a.version - b.version);

export const LATEST_VERSION = MIGRATIONS.at(-1)!.version;
