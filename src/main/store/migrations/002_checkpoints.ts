import type { Migration } from './types';

/** Mid-run state of long runs (weights, optimizer moments, curve so far), so a crash loses minutes, not rounds. */
export const checkpoints: Migration = {
  version: 2,
  name: '002_checkpoints',
  up(db) {
    db.exec(`
      CREATE TABLE checkpoints (
        experiment_id TEXT NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
        trial INTEGER NOT NULL,
        variant TEXT NOT NULL CHECK (variant IN ('ticket', 'reinit', 'random')),
        round INTEGER NOT NULL,
        iteration INTEGER NOT NULL,
        data BLOB NOT NULL,
        saved_at TEXT NOT NULL,
        PRIMARY KEY (experiment_id, trial, variant, round)
      ) WITHOUT ROWID;
    `);
  },
};
