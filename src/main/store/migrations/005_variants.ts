import type { Migration } from './types';

const RUN_COLUMNS = `id, experiment_id, trial, variant, round, weights_remaining, layer_density, early_stop_iteration, val_loss,
  val_accuracy, test_accuracy, final_val_accuracy, final_test_accuracy, iterations, duration_ms`;

/**
 * Issue 13 adds variants beyond ticket/reinit/random (ablations 'shuffle' and 'sign', untrained 'supermask' and
 * 'supermask-signed'), which the CHECK of runs and checkpoints refused. Both tables are rebuilt with a CHECK that
 * only asks for a short name: which names exist is the code's business (VariantSchema; RunRepo refuses unknown
 * ones), so the next variant needs no migration. Rows, ids and run_curves are kept as they are.
 *
 * SQLite cannot change a CHECK in place, and foreign_keys cannot be turned off inside the migration's transaction,
 * so run_curves (whose rows cascade from runs) is copied to a new table first; only then is runs dropped, and the
 * renames repoint run_curves' foreign key at the new runs table.
 *
 * Numbered 6: 4 and 5 were reserved for other work when this was written; the loader accepts gaps.
 */
export const openVariants: Migration = {
  version: 5,
  name: '005_variants',
  up(db) {
    db.exec(`
      CREATE TABLE runs_v6 (
        id INTEGER PRIMARY KEY,
        experiment_id TEXT NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
        trial INTEGER NOT NULL,
        variant TEXT NOT NULL CHECK (length(variant) BETWEEN 1 AND 32),
        round INTEGER NOT NULL,
        weights_remaining REAL NOT NULL,
        layer_density TEXT NOT NULL,
        early_stop_iteration INTEGER NOT NULL,
        val_loss REAL,
        val_accuracy REAL,
        test_accuracy REAL,
        final_val_accuracy REAL,
        final_test_accuracy REAL,
        iterations INTEGER NOT NULL,
        duration_ms REAL NOT NULL,
        UNIQUE (experiment_id, trial, variant, round)
      ) STRICT;
      INSERT INTO runs_v6 (${RUN_COLUMNS}) SELECT ${RUN_COLUMNS} FROM runs;

      CREATE TABLE run_curves_v6 (
        run_id INTEGER PRIMARY KEY REFERENCES runs_v6 (id) ON DELETE CASCADE,
        points INTEGER NOT NULL,
        iteration BLOB NOT NULL,
        train_loss BLOB NOT NULL,
        train_loss_nulls BLOB,
        val_loss BLOB NOT NULL,
        val_accuracy BLOB NOT NULL,
        test_accuracy BLOB NOT NULL
      ) STRICT;
      INSERT INTO run_curves_v6 SELECT run_id, points, iteration, train_loss, train_loss_nulls, val_loss, val_accuracy, test_accuracy FROM run_curves;

      DROP TABLE run_curves;
      DROP TABLE runs;
      ALTER TABLE runs_v6 RENAME TO runs;
      ALTER TABLE run_curves_v6 RENAME TO run_curves;

      CREATE TABLE checkpoints_v6 (
        experiment_id TEXT NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
        trial INTEGER NOT NULL,
        variant TEXT NOT NULL CHECK (length(variant) BETWEEN 1 AND 32),
        round INTEGER NOT NULL,
        iteration INTEGER NOT NULL,
        data BLOB NOT NULL,
        saved_at TEXT NOT NULL,
        PRIMARY KEY (experiment_id, trial, variant, round)
      ) WITHOUT ROWID;
      INSERT INTO checkpoints_v6 SELECT experiment_id, trial, variant, round, iteration, data, saved_at FROM checkpoints;
      DROP TABLE checkpoints;
      ALTER TABLE checkpoints_v6 RENAME TO checkpoints;
    `);
  },
};
