import { copyFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/main/store';
import { MIGRATIONS } from '../../src/main/store/migrations';
import { mlpLayers, mlpSpec, run, tempDir } from './helpers';

const versions = { lthLab: 'test', tfjs: 'test' };
let cleanup: (() => void) | null = null;
afterEach(() => cleanup?.());

const lossAt = MIGRATIONS.findIndex((m) => m.name.endsWith('_train_loss_steps'));

describe('the training-loss-per-10-steps migration', () => {
  it('keeps every run of a database from before it (no record: they had none) and then stores the record bit for bit', () => {
    expect(lossAt).toBeGreaterThan(0);
    const t = tempDir();
    cleanup = t.cleanup;
    const dbPath = join(t.dir, 'lth.sqlite');
    // Runs stored as the schema before it held them: written, then the column and the version taken back.
    const old = openStore({ dataDir: t.dir, dbPath });
    const e = old.experiments.create({ spec: mlpSpec({ trials: 1 }), datasetHash: 'h', versions, layers: mlpLayers() });
    old.sinkFor(e.id).saveRun(run(0, 'ticket', 0));
    old.sinkFor(e.id).saveRun(run(0, 'ticket', 1));
    const before = old.experimentDetail(e.id).runs;
    const bytesBefore = old.experiments.get(e.id).diskBytes;
    old.db.exec(`ALTER TABLE run_curves DROP COLUMN train_loss_steps; PRAGMA user_version = ${MIGRATIONS[lossAt - 1]!.version}`);
    expect((old.db.prepare('PRAGMA table_info(run_curves)').all() as { name: string }[]).map((c) => c.name)).not.toContain('train_loss_steps');
    old.close();

    const store = openStore({ dataDir: t.dir, dbPath });
    try {
      expect(store.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.at(-1)!.version);
      const after = store.experimentDetail(e.id).runs;
      expect(after).toEqual(before);
      expect(after.every((r) => r.trainLossSteps === undefined)).toBe(true);
      expect(store.experiments.get(e.id).diskBytes).toBe(bytesBefore);
      // float32 values (what the trainer records) come back as the same bits.
      const record = [2.302585, 1.5, 0.7071068, 0.1].map(Math.fround);
      store.sinkFor(e.id).saveRun(run(0, 'ticket', 2, { trainLossSteps: record }));
      const saved = store.experimentDetail(e.id).runs.find((r) => r.round === 2)!;
      expect(saved.trainLossSteps).toEqual(record);
      expect(store.experiments.get(e.id).diskBytes).toBeGreaterThanOrEqual(bytesBefore + record.length * 4);
      expect(store.integrityProblems()).toEqual([]);
    } finally {
      store.close();
    }
  });

  it('opens the stored v1 database: its runs read back without a record', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const dbPath = join(t.dir, 'lth.sqlite');
    copyFileSync(resolve(__dirname, '../fixtures/db/lth-v1.db'), dbPath);
    const store = openStore({ dataDir: t.dir, dbPath });
    try {
      const cols = (store.db.prepare('PRAGMA table_info(run_curves)').all() as { name: string }[]).map((c) => c.name);
      expect(cols).toContain('train_loss_steps');
      const withRuns = store.experiments.list().filter((x) => store.experimentDetail(x.id).runs.length > 0);
      expect(withRuns.length).toBeGreaterThan(0);
      for (const x of withRuns) for (const r of store.experimentDetail(x.id).runs) {
        expect(r.trainLossSteps).toBeUndefined();
        expect(r.curve.length).toBeGreaterThan(0);
      }
    } finally {
      store.close();
    }
  });
});
