import Database from 'better-sqlite3';
import { existsSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { StoreError } from './errors';
import { MIGRATIONS, type Migration } from './migrations';
import { ensureDirectory } from './paths';

export type Db = Database.Database;

export interface OpenDatabaseOptions {
  /** For tests of the upgrade path; the real list otherwise. */
  migrations?: readonly Migration[];
  /** Milliseconds a writer waits for another process's lock (the app and the CLI share one file). */
  busyTimeoutMs?: number;
}

export interface OpenedDatabase {
  db: Db;
  /** The backup written before migrating an older, non-empty database; null when none was needed. */
  backupPath: string | null;
  fromVersion: number;
  version: number;
}

export function openDatabase(path: string, options: OpenDatabaseOptions = {}): OpenedDatabase {
  const migrations = options.migrations ?? MIGRATIONS;
  migrations.forEach((m, i) => {
    // Consecutive versions from 1: a gap would be skipped for good by databases already past it.
    const ok = m.version === i + 1;
    if (!ok) throw new Error(`migration list out of order at ${m.name}`);
  });
  const latest = migrations.at(-1)?.version ?? 0;
  if (existsSync(path) && statSync(path).isDirectory()) {
    throw new StoreError(`cannot open database ${path}: it is a directory`, 'path');
  }
  ensureDirectory(dirname(path), 'database directory');

  let db: Db;
  try {
    db = new Database(path);
  } catch (e) {
    throw new StoreError(`cannot open database ${path}: ${(e as Error).message}`, 'path');
  }
  try {
    // Read the version before any pragma that writes, so a too-new file is left untouched.
    let current: number;
    try {
      current = db.pragma('user_version', { simple: true }) as number;
    } catch (e) {
      throw new StoreError(`cannot read database ${path}: ${(e as Error).message}`, 'corrupt');
    }
    if (current > latest) {
      throw new StoreError(
        `database ${path} has schema version ${current}, but this LTH Lab knows versions up to ${latest}: it was written by a newer LTH Lab; upgrade LTH Lab or use another database (LTH_DB)`,
        'schema-too-new',
      );
    }
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);

    let backupPath: string | null = null;
    if (current < latest) {
      const hasTables = (db.prepare(`SELECT COUNT(*) AS n FROM sqlite_schema WHERE type = 'table'`).get() as { n: number }).n > 0;
      if (current > 0 || hasTables) backupPath = backup(db, path, current);
      migrate(db, migrations);
    }
    return { db, backupPath, fromVersion: current, version: latest };
  } catch (e) {
    db.close();
    throw e;
  }
}

/** VACUUM INTO: a consistent, compact copy in one statement, synchronous (db.backup() is async). */
function backup(db: Db, path: string, version: number): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const target = `${path}.v${version}-${stamp}.bak`;
  const existed = existsSync(target);
  try {
    db.prepare('VACUUM INTO ?').run(target);
  } catch (e) {
    // A partial copy (disk full mid-way) must not lie there looking like a good backup.
    if (!existed) rmSync(target, { force: true });
    throw new StoreError(`cannot back up database ${path} to ${target} before upgrading it: ${(e as Error).message}`, 'path');
  }
  return target;
}

function migrate(db: Db, migrations: readonly Migration[]): void {
  for (const m of migrations) {
    // IMMEDIATE takes the write lock before re-reading the version: two processes opening an old file at once
    // must not both apply the same step.
    db.transaction(() => {
      const v = db.pragma('user_version', { simple: true }) as number;
      if (v >= m.version) return;
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
}
