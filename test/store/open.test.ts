import Database from 'better-sqlite3';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, StoreError } from '../../src/main/store';
import { LATEST_VERSION, MIGRATIONS } from '../../src/main/store/migrations';
import type { Migration } from '../../src/main/store/migrations';
import { databasePath, dataDir } from '../../src/main/store/paths';
import { mlpLayers, mlpSpec, tempDir } from './helpers';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});
function dir(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

describe('locations', () => {
  it('follows Electron userData per platform, with LTH_HOME first', () => {
    expect(dataDir({ env: {}, platform: 'linux', home: '/home/u' })).toBe('/home/u/.config/LTH Lab');
    expect(dataDir({ env: { XDG_CONFIG_HOME: '/x/cfg' }, platform: 'linux', home: '/home/u' })).toBe('/x/cfg/LTH Lab');
    expect(dataDir({ env: {}, platform: 'darwin', home: '/Users/u' })).toBe('/Users/u/Library/Application Support/LTH Lab');
    expect(dataDir({ env: { APPDATA: '/appdata' }, platform: 'win32', home: '/h' })).toMatch(/appdata[\\/]LTH Lab$/);
    expect(dataDir({ env: { LTH_HOME: '/data/lth', XDG_CONFIG_HOME: '/x' }, platform: 'linux', home: '/h' })).toBe('/data/lth');
  });

  it('picks the database file: explicit > LTH_DB > <dataDir>/lth.sqlite', () => {
    const loc = { env: { LTH_HOME: '/d', LTH_DB: '/db/x.sqlite' }, platform: 'linux' as const, home: '/h' };
    expect(databasePath('/explicit.sqlite', loc)).toBe('/explicit.sqlite');
    expect(databasePath(undefined, loc)).toBe('/db/x.sqlite');
    expect(databasePath(undefined, { ...loc, env: { LTH_HOME: '/d' } })).toBe('/d/lth.sqlite');
  });

  it('refuses a data directory under a regular file with one line naming it, creating nothing', () => {
    const d = dir();
    const file = join(d, 'plain-file');
    writeFileSync(file, 'x');
    const target = join(file, 'lab', 'deeper');
    let err: unknown;
    try {
      openStore({ dataDir: target });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).toContain(target);
    expect((err as Error).message).not.toContain('\n');
    expect(readdirSync(d)).toEqual(['plain-file']);
  });

  it('refuses a database path under a regular file without creating the data directory', () => {
    const d = dir();
    writeFileSync(join(d, 'f'), 'x');
    const dbPath = join(d, 'f', 'lth.sqlite');
    expect(() => openStore({ dataDir: join(d, 'data'), dbPath })).toThrow(StoreError);
    expect(() => openStore({ dataDir: join(d, 'data'), dbPath })).toThrow(join(d, 'f'));
    expect(readdirSync(d)).toEqual(['f']);
  });
});

describe('open and migrate', () => {
  it('creates the schema from empty with WAL, foreign keys and a clean integrity check', () => {
    const d = dir();
    const store = openStore({ dataDir: d });
    try {
      expect(store.dbPath).toBe(join(d, 'lth.sqlite'));
      expect(store.backupPath).toBeNull();
      expect(store.db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
      expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(store.db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
      expect(store.db.pragma('busy_timeout', { simple: true })).toBeGreaterThan(0);
      const tables = (store.db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`).all() as { name: string }[]).map(
        (r) => r.name,
      );
      expect(tables).toEqual(['analysis_results', 'checkpoints', 'datasets', 'experiments', 'masks', 'run_curves', 'runs', 'tickets', 'weights']);
      expect(store.integrityProblems()).toEqual([]);
    } finally {
      store.close();
    }
    // Reopening an up-to-date database neither migrates nor backs up.
    const again = openStore({ dataDir: d });
    expect(again.backupPath).toBeNull();
    again.close();
    expect(readdirSync(d).filter((f) => f.endsWith('.bak'))).toEqual([]);
  });

  it('refuses a database whose schema is newer than this code, leaving it untouched', () => {
    const d = dir();
    const path = join(d, 'lth.sqlite');
    const raw = new Database(path);
    raw.pragma('user_version = 99');
    raw.close();
    let err: unknown;
    try {
      openStore({ dataDir: d });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('schema-too-new');
    expect((err as Error).message).toMatch(/schema version 99.*newer LTH Lab/);
    const check = new Database(path, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(99);
    expect(check.pragma('journal_mode', { simple: true })).not.toBe('wal');
    check.close();
  });

  it('refuses a file that is not a SQLite database with one line naming it', () => {
    const d = dir();
    const path = join(d, 'lth.sqlite');
    writeFileSync(path, 'this is not a database, just text that is long enough to have a header'.repeat(20));
    expect(() => openStore({ dataDir: d })).toThrow(StoreError);
    expect(() => openStore({ dataDir: d })).toThrow(new RegExp(`cannot read database ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: file is not a database`));
  });

  it('backs up a non-empty database before migrating it to a newer version', () => {
    const d = dir();
    const first = openStore({ dataDir: d });
    const e = first.experiments.create({ spec: mlpSpec(), datasetHash: 'h', versions: { lthLab: '0.1.0', tfjs: '4.22.0' }, layers: mlpLayers() });
    first.close();

    const v2: Migration = {
      version: LATEST_VERSION + 1,
      name: 'test: add a column',
      up: (db) => db.exec('ALTER TABLE experiments ADD COLUMN test_extra TEXT'),
    };
    const upgraded = openStore({ dataDir: d, migrations: [...MIGRATIONS, v2] });
    try {
      expect(upgraded.db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION + 1);
      expect(upgraded.backupPath).not.toBeNull();
      expect(existsSync(upgraded.backupPath!)).toBe(true);
      expect(upgraded.experiments.get(e.id).name).toBe('tiny mlp');
      const backup = new Database(upgraded.backupPath!, { readonly: true });
      expect(backup.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
      expect(backup.prepare('SELECT id FROM experiments').all()).toEqual([{ id: e.id }]);
      backup.close();
    } finally {
      upgraded.close();
    }
  });

  it('rolls back a failing migration step entirely', () => {
    const d = dir();
    openStore({ dataDir: d }).close();
    const bad: Migration = {
      version: LATEST_VERSION + 1,
      name: 'test: fails halfway',
      up: (db) => {
        db.exec('CREATE TABLE half_done (x)');
        throw new Error('boom');
      },
    };
    expect(() => openStore({ dataDir: d, migrations: [...MIGRATIONS, bad] })).toThrow('boom');
    const s = openStore({ dataDir: d });
    expect(s.db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
    expect(s.db.prepare(`SELECT name FROM sqlite_schema WHERE name = 'half_done'`).get()).toBeUndefined();
    s.close();
  });
});
