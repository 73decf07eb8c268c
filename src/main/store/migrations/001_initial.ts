import type { Migration } from './types';

/*
 * Design notes:
 * - Blobs hold the bulk (masks bit-packed, weights float32 LE) with their layout given by the layers json of the
 *   owning experiment or ticket; see ../blobs.ts.
 * - Eval curves: one row per run in run_curves with one float64 blob per column. A 50K-iteration run evaluated
 *   every 100 iterations has 500 points: 20 KB as blobs against ~500 indexed rows per run, and curves are only
 *   ever read whole (plots, detail view), never queried point by point.
 * - Tickets are self-contained: they own copies of their mask, rewind weights and (when kept) trained weights,
 *   plus the spec, layers and dataset facts, so they survive their experiment's deletion (experiment_id is set
 *   to NULL; origin_experiment_id keeps the history) and imported tickets need no experiment at all.
 * - No foreign key from experiments to datasets: the built-in dataset may be registered lazily, and an
 *   experiment records dataset_hash itself.
 */
export const initial: Migration = {
  version: 1,
  name: 'initial schema',
  up(db) {
    db.exec(`
      CREATE TABLE datasets (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('builtin', 'idx', 'cifar10')),
        folder TEXT,
        hash TEXT NOT NULL,
        shape TEXT NOT NULL,
        num_classes INTEGER NOT NULL,
        class_names TEXT NOT NULL,
        train_count INTEGER NOT NULL,
        test_count INTEGER NOT NULL,
        train_class_counts TEXT NOT NULL,
        test_class_counts TEXT NOT NULL,
        disk_bytes INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
      ) STRICT;

      CREATE TABLE experiments (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        spec TEXT NOT NULL,
        spec_hash TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'paused', 'completed', 'interrupted', 'failed', 'cancelled')),
        dataset_id TEXT NOT NULL,
        dataset_hash TEXT NOT NULL,
        backend TEXT,
        versions TEXT NOT NULL,
        layers TEXT,
        source_ticket_id TEXT,
        rounds_planned INTEGER NOT NULL,
        trials INTEGER NOT NULL,
        winning_ticket TEXT,
        winning_ticket_reason TEXT,
        owner_pid INTEGER,
        heartbeat_at TEXT,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        error TEXT
      ) STRICT;
      CREATE INDEX experiments_created ON experiments (created_at);
      CREATE INDEX experiments_status ON experiments (status);
      CREATE INDEX experiments_dataset ON experiments (dataset_id);

      -- Non-finite metrics (a diverged run) are stored as NULL: SQLite has no NaN.
      CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        experiment_id TEXT NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
        trial INTEGER NOT NULL,
        variant TEXT NOT NULL CHECK (variant IN ('ticket', 'reinit', 'random')),
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

      CREATE TABLE run_curves (
        run_id INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
        points INTEGER NOT NULL,
        iteration BLOB NOT NULL,
        train_loss BLOB NOT NULL,
        train_loss_nulls BLOB,
        val_loss BLOB NOT NULL,
        val_accuracy BLOB NOT NULL,
        test_accuracy BLOB NOT NULL
      ) STRICT;

      CREATE TABLE masks (
        experiment_id TEXT NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
        trial INTEGER NOT NULL,
        round INTEGER NOT NULL,
        bits BLOB NOT NULL,
        PRIMARY KEY (experiment_id, trial, round)
      ) STRICT, WITHOUT ROWID;

      -- kind 'rewind' is stored once per trial with round = 0.
      CREATE TABLE weights (
        experiment_id TEXT NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
        trial INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('rewind', 'trained')),
        round INTEGER NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (experiment_id, trial, kind, round),
        CHECK (kind = 'trained' OR round = 0)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE tickets (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        notes TEXT NOT NULL DEFAULT '',
        tags TEXT NOT NULL DEFAULT '[]',
        experiment_id TEXT REFERENCES experiments (id) ON DELETE SET NULL,
        origin_experiment_id TEXT NOT NULL,
        origin TEXT NOT NULL CHECK (origin IN ('saved', 'imported')),
        trial INTEGER NOT NULL,
        round INTEGER NOT NULL,
        spec TEXT NOT NULL,
        spec_hash TEXT NOT NULL,
        layers TEXT NOT NULL,
        dataset_id TEXT NOT NULL,
        dataset_hash TEXT NOT NULL,
        dataset_shape TEXT,
        versions TEXT NOT NULL,
        weights_remaining REAL NOT NULL,
        layer_density TEXT NOT NULL,
        val_accuracy REAL,
        test_accuracy REAL,
        mask BLOB NOT NULL,
        rewind_weights BLOB NOT NULL,
        trained_weights BLOB,
        created_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX tickets_experiment ON tickets (experiment_id);
      CREATE INDEX tickets_created ON tickets (created_at);
    `);
  },
};
