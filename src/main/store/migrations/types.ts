import type Database from 'better-sqlite3';

/** One schema step. `up` runs inside the migration's transaction; it must not commit or change PRAGMA user_version. */
export interface Migration {
  version: number;
  name: string;
  up(db: Database.Database): void;
}
