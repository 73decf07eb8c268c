import { initial } from './001_initial';
import { checkpoints } from './002_checkpoints';
import { engineVersion } from './003_engine_version';
import type { Migration } from './types';

export type { Migration };

/** In version order, starting at 1; PRAGMA user_version is the last one applied. */
export const MIGRATIONS: readonly Migration[] = [initial, checkpoints, engineVersion];

export const LATEST_VERSION = MIGRATIONS.length;
