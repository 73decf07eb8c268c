import type { Migration } from './types';

/**
 * Results of analysis experiments (instability, ...) that are not training runs: one JSON document per
 * (kind, trial, point). Small (a few hundred numbers each), so JSON keeps them readable and lean.
 */
export const analysisResults: Migration = {
  version: 4,
  name: '004_analysis_results',
  up(db) {
    db.exec(`
      CREATE TABLE analysis_results (
        experiment_id TEXT NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        trial INTEGER NOT NULL CHECK (trial >= 0),
        point INTEGER NOT NULL CHECK (point >= 0),
        data TEXT NOT NULL,
        saved_at TEXT NOT NULL,
        PRIMARY KEY (experiment_id, kind, trial, point)
      ) STRICT, WITHOUT ROWID;
    `);
  },
};
