import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/main/store';
import { MIGRATIONS } from '../../src/main/store/migrations';
import { mlpLayers, mlpSpec, run, tempDir } from '../store/helpers';

const versions = { lthLab: 'test', tfjs: 'test' };
let cleanup: (() => void) | null = null;
afterEach(() => cleanup?.());

/** The migration that lifts the variant CHECK (numbered 006 when written; its number may change as others land). */
const variantsAt = MIGRATIONS.findIndex((m) => m.name.endsWith('_variants'));

describe('the variants migration: variants beyond ticket/reinit/random', () => {
  it('keeps every run and curve of a database from before it and then stores the new variants', () => {
    expect(variantsAt).toBeGreaterThan(0);
    const t = tempDir();
    cleanup = t.cleanup;
    const dbPath = join(t.dir, 'lth.sqlite');
    const old = openStore({ dataDir: t.dir, dbPath, migrations: MIGRATIONS.slice(0, variantsAt) });
    // Today's store code writes the per-step loss column that a later migration adds: it exists only while this
    // test writes the old database with today's code, and is dropped again before the upgrade adds it for real.
    old.db.exec('ALTER TABLE run_curves ADD COLUMN train_loss_steps BLOB');
    const e = old.experiments.create({ spec: mlpSpec({ trials: 1 }), datasetHash: 'h', versions, layers: mlpLayers() });
    const sink = old.sinkFor(e.id);
    sink.saveRun(run(0, 'ticket', 0));
    sink.saveRun(run(0, 'ticket', 1));
    sink.saveRun(run(0, 'reinit', 1));
    const before = old.experimentDetail(e.id).runs;
    // The old CHECK refuses the new names: that is what the migration lifts.
    expect(() => old.db.prepare(`INSERT INTO runs (experiment_id, trial, variant, round, weights_remaining, layer_density, early_stop_iteration, iterations, duration_ms) VALUES (?, 0, 'shuffle', 1, 0.5, '[]', 0, 0, 0)`).run(e.id)).toThrow(/CHECK/);
    old.db.exec('ALTER TABLE run_curves DROP COLUMN train_loss_steps');
    old.close();

    const store = openStore({ dataDir: t.dir, dbPath });
    try {
      expect(store.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.at(-1)!.version);
      expect(store.experimentDetail(e.id).runs).toEqual(before);
      for (const v of ['shuffle', 'sign', 'supermask', 'supermask-signed'] as const) store.sinkFor(e.id).saveRun(run(0, v, 1));
      expect(store.experimentDetail(e.id).runs.map((r) => r.variant)).toEqual(['ticket', 'ticket', 'reinit', 'shuffle', 'sign', 'supermask', 'supermask-signed']);
      expect(() => store.sinkFor(e.id).saveRun(run(0, 'bogus' as never, 1))).toThrow(/unknown variant bogus/);
      expect(store.integrityProblems()).toEqual([]);
      // run_curves still cascades from runs (its foreign key follows the rebuilt table).
      store.experiments.delete(e.id);
      expect((store.db.prepare('SELECT COUNT(*) AS n FROM run_curves').get() as { n: number }).n).toBe(0);
    } finally {
      store.close();
    }
  });
});
