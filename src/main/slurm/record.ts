import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { SlurmTaskState } from '../../shared/slurm';
import type { Store } from '../store';
import { writeAtomic } from './folder';
import type { SlurmProfile } from './profile';

export interface TrialState {
  state: SlurmTaskState;
  slurmState: string | null;
  jobId: string | null;
  detail: string | null;
  /** A failed task's last error line; absent in records written before it was kept. */
  error?: string | null;
}

/**
 * What this machine remembers of an experiment sent to Slurm: <data dir>/slurm/<experiment id>.json (beside
 * the database, not in it, so no schema change is needed). The results themselves come home into the store.
 */
export interface SlurmRecord {
  experimentId: string;
  folder: string;
  profile: SlurmProfile;
  jobs: { jobId: string; trials: number[]; submittedAt: string }[];
  /** Last state read from Slurm per trial (Slurm forgets finished jobs after MinJobAge). */
  states: Record<string, TrialState>;
  checkedAt: string | null;
  syncedAt: string | null;
}

const recordDir = (store: Store) => join(store.dataDir, 'slurm');
const recordPath = (store: Store, id: string) => join(recordDir(store), `${id}.json`);

export function isOnSlurm(store: Store, experimentId: string): boolean {
  return /^e_[0-9a-z]+$/.test(experimentId) && existsSync(recordPath(store, experimentId));
}

export function readRecord(store: Store, experimentId: string): SlurmRecord | null {
  if (!isOnSlurm(store, experimentId)) return null;
  return JSON.parse(readFileSync(recordPath(store, experimentId), 'utf8')) as SlurmRecord;
}

export function writeRecord(store: Store, r: SlurmRecord): void {
  mkdirSync(recordDir(store), { recursive: true });
  writeAtomic(recordPath(store, r.experimentId), `${JSON.stringify(r, null, 2)}\n`);
}

export function removeRecord(store: Store, experimentId: string): void {
  rmSync(recordPath(store, experimentId), { force: true });
}
