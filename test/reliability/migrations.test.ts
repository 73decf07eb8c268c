import { copyFileSync, existsSync, readdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { openStore, specHash, StoreError } from '../../src/main/store';
import { LATEST_VERSION } from '../../src/main/store/migrations';
import { cleanupTemps, dumpDb, integrity, json, lth, rawDb, sha256File, tempDir } from './helpers';

/*
 * test/fixtures/db/lth-v1.db was written at schema version 1 (see make-v1.ts beside it): four experiments
 * (completed with controls, masks and weights; interrupted; left 'running' by a dead process; queued), a saved
 * ticket, one whose experiment was deleted and one imported. Every test works on a copy.
 */
const FIXTURE = resolve(__dirname, '../fixtures/db/lth-v1.db');
const V1_TABLES = ['datasets', 'experiments', 'runs', 'run_curves', 'masks', 'weights', 'tickets'];

afterAll(() => cleanupTemps());

/** A copy of the database in memory with the stored specs as version 1 wrote them (engineVersion removed, old hash). */
function unmarked(db: Database.Database): Database.Database {
  const bytes = db.serialize();
  bytes[18] = 1; // file format bytes: WAL (2) -> rollback journal (1), which an in-memory database needs to be writable
  bytes[19] = 1;
  const copy = new Database(bytes);
  const original = rawDb(copyFixture().db, true);
  for (const table of ['experiments', 'tickets']) {
    const rows = original.prepare(`SELECT id, spec, spec_hash FROM ${table}`).all() as { id: string; spec: string; spec_hash: string }[];
    for (const r of rows) copy.prepare(`UPDATE ${table} SET spec = ?, spec_hash = ? WHERE id = ?`).run(r.spec, r.spec_hash, r.id);
  }
  // Columns later migrations added (experiment notes and tags) are not part of what version 1 stored.
  for (const table of V1_TABLES) {
    const had = new Set((original.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name));
    for (const c of copy.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]) {
      if (!had.has(c.name)) copy.exec(`ALTER TABLE ${table} DROP COLUMN ${c.name}`);
    }
  }
  original.close();
  return copy;
}

function copyFixture(): { dir: string; db: string } {
  const dir = tempDir();
  const db = join(dir, 'lth.sqlite');
  copyFileSync(FIXTURE, db);
  return { dir, db };
}

function v1Dump(): string {
  const { db } = copyFixture();
  const d = rawDb(db, true);
  try {
    expect(d.pragma('user_version', { simple: true })).toBe(1);
    return dumpDb(d);
  } finally {
    d.close();
  }
}

describe('schema migrations from every earlier version', () => {
  it('opens the stored v1 database: backup first, migrated to the latest version, every row intact', () => {
    const before = v1Dump();
    const { dir, db } = copyFixture();
    const store = openStore({ dataDir: dir, dbPath: db });
    try {
      expect(store.db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
      // The backup: beside the database, named after the version it holds, and identical to the file before the upgrade.
      expect(store.backupPath).not.toBeNull();
      expect(basename(store.backupPath!)).toMatch(/^lth\.sqlite\.v1-.+\.bak$/);
      const bak = rawDb(store.backupPath!, true);
      expect(bak.pragma('user_version', { simple: true })).toBe(1);
      expect(dumpDb(bak)).toBe(before);
      bak.close();
      // Rows are untouched by the upgrade but for the engine version marked on stored specs (003); new tables are empty.
      expect(dumpDb(store.db, V1_TABLES)).not.toBe(before);
      const marked = rawDb(db, true);
      for (const table of ['experiments', 'tickets']) {
        for (const row of marked.prepare(`SELECT spec, spec_hash FROM ${table}`).all() as { spec: string; spec_hash: string }[]) {
          const spec = JSON.parse(row.spec) as { engineVersion?: number; pruning: { reinitStart?: string } };
          expect(spec.engineVersion).toBe(1);
          expect(spec.pruning.reinitStart).toBe('rewind');
          expect(row.spec_hash).toBe(specHash(spec));
        }
      }
      marked.close();
      expect(dumpDb(unmarked(store.db), V1_TABLES)).toBe(before);
      expect(store.db.prepare('SELECT COUNT(*) AS n FROM checkpoints').get()).toEqual({ n: 0 });
      expect(store.integrityProblems()).toEqual([]);

      // And usable through today's code: details with curves, tickets with their blobs, resume state.
      const exps = store.experiments.list();
      expect(exps.map((e) => e.name).sort()).toEqual(['completed v1', 'interrupted v1', 'queued v1', 'running v1']);
      const done = exps.find((e) => e.name === 'completed v1')!;
      const detail = store.experimentDetail(done.id);
      expect(detail.runs).toHaveLength(5);
      expect(detail.runs.every((r) => r.curve.length === 3)).toBe(true);
      expect(detail.winningTicket).not.toBeNull();
      expect(Number.isNaN(detail.runs.find((r) => r.variant === 'ticket' && r.round === 2)!.valAccuracy)).toBe(true);
      const tickets = store.tickets.list();
      expect(tickets).toHaveLength(3);
      for (const t of tickets) {
        const l = store.tickets.load(t.id);
        expect(l.mask.map((m) => m.length)).toEqual([30, 20, 12]);
      }
      expect(tickets.find((t) => t.name === 'kept ticket')!.tags).toEqual(['v1', 'fixture']);
      const half = exps.find((e) => e.name === 'interrupted v1')!;
      const state = store.resumeState(half.id);
      expect(state.runs).toHaveLength(1);
      expect(state.rewindWeights.size).toBe(1);
      expect(state.checkpoints.size).toBe(0);
    } finally {
      store.close();
    }
    // Opened again: already current, no second backup.
    const again = openStore({ dataDir: dir, dbPath: db });
    expect(again.backupPath).toBeNull();
    again.close();
    expect(readdirSync(dir).filter((f) => f.endsWith('.bak'))).toHaveLength(1);
  });

  it('the v1 database through the CLI: listed, the dead process\'s run shown interrupted, tickets listed', () => {
    const { dir, db } = copyFixture();
    const exps = json<{ name: string; status: string }[]>(lth(['--db', db, 'experiments', 'list', '--json'], dir));
    const status = Object.fromEntries(exps.map((e) => [e.name, e.status]));
    expect(status).toEqual({ 'completed v1': 'completed', 'interrupted v1': 'interrupted', 'running v1': 'interrupted', 'queued v1': 'queued' });
    expect(json<unknown[]>(lth(['--db', db, 'tickets', 'list', '--json'], dir))).toHaveLength(3);
    expect(integrity(db)).toEqual([]);
  });

  it('refuses a database from a newer LTH Lab with a clear message and leaves it byte-identical', () => {
    const { dir, db } = copyFixture();
    const raw = rawDb(db);
    raw.pragma(`user_version = ${LATEST_VERSION + 7}`);
    raw.close();
    const sha = sha256File(db);
    const files = readdirSync(dir).sort();

    let err: unknown;
    try {
      openStore({ dataDir: dir, dbPath: db }).close();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('schema-too-new');
    expect((err as StoreError).message).toBe(
      `database ${db} has schema version ${LATEST_VERSION + 7}, but this LTH Lab knows versions up to ${LATEST_VERSION}: it was written by a newer LTH Lab; upgrade LTH Lab or use another database (LTH_DB)`,
    );
    expect(sha256File(db)).toBe(sha);
    expect(readdirSync(dir).sort()).toEqual(files);

    const r = lth(['--db', db, 'experiments', 'list'], dir);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`schema version ${LATEST_VERSION + 7}.*newer LTH Lab`));
    expect(sha256File(db)).toBe(sha);
    expect(readdirSync(dir).sort()).toEqual(files);
  });

  it('refuses a newer database that is in WAL mode with a live -wal file, and loses none of its data', () => {
    const dir = tempDir();
    const db = join(dir, 'lth.sqlite');
    openStore({ dataDir: dir, dbPath: db }).close();
    // A newer LTH Lab crashed with it open: WAL mode, committed pages still only in the -wal file.
    const writer = rawDb(db);
    writer.pragma('journal_mode = WAL');
    writer.pragma('wal_autocheckpoint = 0');
    writer.pragma(`user_version = ${LATEST_VERSION + 1}`);
    writer.exec(`CREATE TABLE future (x INTEGER); INSERT INTO future VALUES (42)`);
    const copies = [tempDir(), tempDir()];
    for (const c of copies) for (const f of readdirSync(dir)) copyFileSync(join(dir, f), join(c, f));
    writer.close();
    const [refused, witness] = copies.map((c) => join(c, 'lth.sqlite')) as [string, string];
    expect(existsSync(`${refused}-wal`)).toBe(true);
    expect(() => openStore({ dataDir: copies[0]!, dbPath: refused })).toThrow(/schema version \d+, but this LTH Lab knows versions up to/);
    // Finding (reported, not fixed here): closing the refused connection checkpoints the -wal into the main file, so
    // the files change on disk; every row and the version stay as the newer LTH Lab wrote them.
    const a = rawDb(refused, true);
    const b = rawDb(witness, true);
    expect(a.pragma('user_version', { simple: true })).toBe(LATEST_VERSION + 1);
    expect(dumpDb(a)).toBe(dumpDb(b));
    expect(a.prepare('SELECT x FROM future').all()).toEqual([{ x: 42 }]);
    a.close();
    b.close();
  });
});
