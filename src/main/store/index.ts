import { dirname, resolve } from 'node:path';
import type { ExperimentDetail, TicketRecord } from '../../shared/results';
import type { ExperimentSink, ResumeState } from '../engine/types';
import { ArtifactRepo } from './artifacts';
import { openDatabase, type Db } from './db';
import { DatasetRepo } from './datasets';
import { ExperimentRepo } from './experiments';
import type { Migration } from './migrations';
import { checkCreatable, databasePath, dataDir as defaultDataDir, datasetsDir, ensureDirectory } from './paths';
import { RunRepo } from './runs';
import { exportTicket, importTicket } from './ticket-folder';
import { TicketRepo } from './tickets';
import { AnalysisRepo } from './analysis-results';

export { StoreError } from './errors';
export type { StoreErrorCode } from './errors';
export { canonicalJson, specHash } from './ids';
export { dataDir, databasePath, datasetsDir, PRODUCT_NAME } from './paths';
export type { NewDataset } from './datasets';
export type { NewExperiment, Versions, Liveness } from './experiments';
export type { LoadedTicket, TicketUpdate } from './tickets';
export { MAX_BIN_BYTES, MAX_JSON_BYTES, TICKET_FORMAT_VERSION } from './ticket-folder';
export type { DatasetRepo, ExperimentRepo, RunRepo, TicketRepo, ArtifactRepo };

export interface StoreOptions {
  /** Data directory; default LTH_HOME, else the OS application-data folder the desktop app uses. */
  dataDir?: string;
  /** Database file; default LTH_DB, else <dataDir>/lth.sqlite. */
  dbPath?: string;
  /** Written into exported tickets' generatedBy, e.g. 'LTH Lab 0.1.0'. */
  generatedBy?: string;
  /** Only for tests of the upgrade path. */
  migrations?: readonly Migration[];
  busyTimeoutMs?: number;
}

export interface DiskUsage {
  experiments: number;
  tickets: number;
  /** Sizes recorded for the dataset files on disk (not in the database). */
  datasets: number;
}

export interface Store {
  readonly dataDir: string;
  readonly datasetsDir: string;
  readonly dbPath: string;
  /** The backup written before this open migrated an older database; null when none was needed. */
  readonly backupPath: string | null;
  readonly db: Db;
  readonly datasets: DatasetRepo;
  readonly experiments: ExperimentRepo;
  readonly runs: RunRepo;
  readonly artifacts: ArtifactRepo;
  readonly tickets: TicketRepo;
  readonly analyses: AnalysisRepo;
  experimentDetail(id: string): ExperimentDetail;
  sinkFor(experimentId: string): ExperimentSink;
  resumeState(experimentId: string): ResumeState;
  pruneTrainedWeights(experimentId: string, keep: readonly { trial: number; round: number }[]): number;
  exportTicket(ticketId: string, folder: string): string;
  importTicket(folder: string): TicketRecord;
  diskUsage(): DiskUsage;
  /** PRAGMA integrity_check and foreign_key_check; empty when all is well. */
  integrityProblems(): string[];
  close(): void;
}

export function openStore(options: StoreOptions = {}): Store {
  const { dataDir: dir, dbPath } = storeLocations(options);
  // Check both places before creating either, so a bad path leaves nothing behind.
  checkCreatable(dir);
  checkCreatable(dirname(dbPath), 'database directory');
  ensureDirectory(dir);
  const opened = openDatabase(dbPath, { migrations: options.migrations, busyTimeoutMs: options.busyTimeoutMs });
  const db = opened.db;
  const runs = new RunRepo(db);
  const experiments = new ExperimentRepo(db, runs);
  const artifacts = new ArtifactRepo(db, experiments, runs);
  const tickets = new TicketRepo(db, experiments, runs, artifacts);
  const datasets = new DatasetRepo(db);
  const analyses = new AnalysisRepo(db);
  const generatedBy = options.generatedBy ?? 'LTH Lab';
  return {
    dataDir: dir,
    datasetsDir: datasetsDir(dir),
    dbPath,
    backupPath: opened.backupPath,
    db,
    datasets,
    experiments,
    runs,
    artifacts,
    tickets,
    analyses,
    experimentDetail: (id) => experiments.detail(id),
    sinkFor: (id) => artifacts.sinkFor(id),
    resumeState: (id) => artifacts.resumeState(id),
    pruneTrainedWeights: (id, keep) => artifacts.pruneTrainedWeights(id, keep),
    exportTicket: (id, folder) => exportTicket(tickets, id, folder, generatedBy),
    importTicket: (folder) => tickets.get(importTicket(db, tickets, folder)),
    diskUsage: () => ({
      experiments: experiments.list().reduce((a, e) => a + e.diskBytes, 0),
      tickets: tickets.list().reduce((a, t) => a + t.diskBytes, 0),
      datasets: datasets.list().reduce((a, d) => a + d.diskBytes, 0),
    }),
    integrityProblems: () => {
      const rows = db.pragma('integrity_check') as { integrity_check: string }[];
      const problems = rows.map((r) => r.integrity_check).filter((s) => s !== 'ok');
      const fk = db.pragma('foreign_key_check') as { table: string; rowid: number; parent: string }[];
      for (const f of fk) problems.push(`${f.table} row ${f.rowid} references a missing ${f.parent}`);
      return problems;
    },
    close: () => {
      if (db.open) db.close();
    },
  };
}

/** For callers that only need to say where things are (system info) without opening the database. */
export function storeLocations(options: Pick<StoreOptions, 'dataDir' | 'dbPath'> = {}): { dataDir: string; dbPath: string; datasetsDir: string } {
  const dir = resolve(options.dataDir ?? defaultDataDir());
  // An explicit dataDir stands in for LTH_HOME; LTH_DB still wins over <dataDir>/lth.sqlite.
  const dbPath = databasePath(options.dbPath, { env: options.dataDir ? { LTH_DB: process.env.LTH_DB, LTH_HOME: dir } : process.env });
  return { dataDir: dir, dbPath, datasetsDir: datasetsDir(dir) };
}
