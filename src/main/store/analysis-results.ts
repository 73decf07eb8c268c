import type { Db } from './db';
import { StoreError } from './errors';
import { nowIso } from './ids';
import { parseJson } from './json';

/** Results of analysis experiments, one JSON document per (kind, trial, point); see migration 004. */
export class AnalysisRepo {
  constructor(private readonly db: Db) {}

  /** Replaces what was there: a point computed again after a crash is the same computation. */
  save(experimentId: string, kind: string, trial: number, point: number, data: unknown): void {
    try {
      this.db
        .prepare('INSERT OR REPLACE INTO analysis_results (experiment_id, kind, trial, point, data, saved_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(experimentId, kind, trial, point, JSON.stringify(data), nowIso());
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
        throw new StoreError(`experiment ${experimentId} no longer exists (deleted while running)`, 'not-found');
      }
      throw e;
    }
  }

  list<T>(experimentId: string, kind: string): T[] {
    const rows = this.db
      .prepare('SELECT trial, point, data FROM analysis_results WHERE experiment_id = ? AND kind = ? ORDER BY point, trial')
      .all(experimentId, kind) as { trial: number; point: number; data: string }[];
    return rows.map((r) => parseJson<T>(r.data, `experiment ${experimentId} ${kind} result (trial ${r.trial}, point ${r.point})`));
  }
}
