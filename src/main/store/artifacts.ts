import type { LayerInfo, RunResult } from '../../shared/results';
import { deserialize, serialize } from 'node:v8';
import { checkpointKey, type Checkpoint, type ExperimentSink, type Mask, type ResumeState, type WeightSet } from '../engine/types';
import { packMask, packWeights, unpackMask, unpackWeights } from './blobs';
import type { Db } from './db';
import { notFound, StoreError } from './errors';
import type { ExperimentRepo } from './experiments';
import { parseLayers } from './layers';
import type { RunRepo } from './runs';

export type WeightKind = 'rewind' | 'trained';

const key = (trial: number, round: number) => `${trial}:${round}`;

function checkIndex(what: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new StoreError(`${what} must be a non-negative integer, got ${n}`);
}

/** Masks and weights of experiments, packed by the experiment's layers (see blobs.ts). */
export class ArtifactRepo {
  constructor(
    private readonly db: Db,
    private readonly experiments: ExperimentRepo,
    private readonly runs: RunRepo,
  ) {}

  saveMask(experimentId: string, trial: number, round: number, mask: Mask, layers = this.experiments.layers(experimentId)): void {
    checkIndex('trial', trial);
    checkIndex('round', round);
    this.db
      .prepare('INSERT OR REPLACE INTO masks (experiment_id, trial, round, bits) VALUES (?, ?, ?, ?)')
      .run(experimentId, trial, round, packMask(mask, layers));
  }

  saveWeights(
    experimentId: string,
    trial: number,
    kind: WeightKind,
    round: number,
    weights: WeightSet,
    layers = this.experiments.layers(experimentId),
  ): void {
    checkIndex('trial', trial);
    checkIndex('round', round);
    if (kind === 'rewind' && round !== 0) throw new StoreError('rewind weights are stored once per trial, with round 0');
    this.db
      .prepare('INSERT OR REPLACE INTO weights (experiment_id, trial, kind, round, data) VALUES (?, ?, ?, ?, ?)')
      .run(experimentId, trial, kind, round, packWeights(weights, layers));
  }

  maskBlob(experimentId: string, trial: number, round: number): Buffer | null {
    const row = this.db
      .prepare('SELECT bits FROM masks WHERE experiment_id = ? AND trial = ? AND round = ?')
      .get(experimentId, trial, round) as { bits: Buffer } | undefined;
    return row?.bits ?? null;
  }

  weightsBlob(experimentId: string, trial: number, kind: WeightKind, round: number): Buffer | null {
    const row = this.db
      .prepare('SELECT data FROM weights WHERE experiment_id = ? AND trial = ? AND kind = ? AND round = ?')
      .get(experimentId, trial, kind, kind === 'rewind' ? 0 : round) as { data: Buffer } | undefined;
    return row?.data ?? null;
  }

  mask(experimentId: string, trial: number, round: number): Mask | null {
    const b = this.maskBlob(experimentId, trial, round);
    return b ? unpackMask(b, this.experiments.layers(experimentId)) : null;
  }

  weights(experimentId: string, trial: number, kind: WeightKind, round = 0): WeightSet | null {
    const b = this.weightsBlob(experimentId, trial, kind, round);
    return b ? unpackWeights(b, this.experiments.layers(experimentId)) : null;
  }

  /** Everything a previous attempt saved, for the IMP driver to skip what is done. */
  resumeState(experimentId: string): ResumeState {
    const row = this.db.prepare('SELECT layers FROM experiments WHERE id = ?').get(experimentId) as { layers: string | null } | undefined;
    if (!row) throw notFound('experiment', experimentId);
    const state: ResumeState = { rewindWeights: new Map(), masks: new Map(), trainedWeights: new Map(), runs: [], checkpoints: new Map() };
    state.runs = this.runs.list(experimentId, true);
    const cps = this.db.prepare('SELECT data FROM checkpoints WHERE experiment_id = ?').all(experimentId) as { data: Buffer }[];
    for (const row of cps) {
      const c = deserialize(row.data) as Checkpoint;
      state.checkpoints.set(checkpointKey(c.trial, c.variant, c.round), c);
    }
    // No layers means the network was never built: nothing can have been saved but runs.
    if (row.layers === null) return state;
    const layers = parseLayers(row.layers, `experiment ${experimentId} layers`);
    const masks = this.db.prepare('SELECT trial, round, bits FROM masks WHERE experiment_id = ?').all(experimentId) as {
      trial: number;
      round: number;
      bits: Buffer;
    }[];
    for (const m of masks) state.masks.set(key(m.trial, m.round), unpackMask(m.bits, layers));
    const ws = this.db.prepare('SELECT trial, kind, round, data FROM weights WHERE experiment_id = ?').all(experimentId) as {
      trial: number;
      kind: WeightKind;
      round: number;
      data: Buffer;
    }[];
    for (const w of ws) {
      const set = unpackWeights(w.data, layers);
      if (w.kind === 'rewind') state.rewindWeights.set(w.trial, set);
      else state.trainedWeights.set(key(w.trial, w.round), set);
    }
    return state;
  }

  /** Drops trained weights nobody needs once the experiment is over; returns how many were removed. */
  pruneTrainedWeights(experimentId: string, keep: readonly { trial: number; round: number }[]): number {
    const kept = new Set(keep.map((k) => key(k.trial, k.round)));
    return this.db.transaction(() => {
      const rows = this.db
        .prepare(`SELECT trial, round FROM weights WHERE experiment_id = ? AND kind = 'trained'`)
        .all(experimentId) as { trial: number; round: number }[];
      const del = this.db.prepare(`DELETE FROM weights WHERE experiment_id = ? AND kind = 'trained' AND trial = ? AND round = ?`);
      let n = 0;
      for (const r of rows) {
        if (!kept.has(key(r.trial, r.round))) n += del.run(experimentId, r.trial, r.round).changes;
      }
      return n;
    })();
  }

  /**
   * The IMP driver's sink. Each call is its own small transaction, so a crash loses at most the call in flight
   * and what was saved before stays consistent. The layers are read once: they cannot change once blobs exist.
   */
  sinkFor(experimentId: string): ExperimentSink {
    let layers: LayerInfo[] | null = null;
    const lay = (): LayerInfo[] => (layers ??= this.experiments.layers(experimentId));
    const tx = <A extends unknown[]>(fn: (...a: A) => void) => {
      const t = this.db.transaction(fn);
      return (...a: A): void => {
        try {
          t(...a);
        } catch (e) {
          if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
            throw new StoreError(`experiment ${experimentId} no longer exists (deleted while running)`, 'not-found');
          }
          throw e;
        }
      };
    };
    const beat = () => this.experiments.heartbeat(experimentId);
    return {
      saveRewindWeights: tx((trial: number, w: WeightSet) => {
        this.saveWeights(experimentId, trial, 'rewind', 0, w, lay());
        beat();
      }),
      saveMask: tx((trial: number, round: number, mask: Mask) => {
        this.saveMask(experimentId, trial, round, mask, lay());
        beat();
      }),
      saveTrainedWeights: tx((trial: number, round: number, w: WeightSet) => {
        this.saveWeights(experimentId, trial, 'trained', round, w, lay());
        beat();
      }),
      saveRun: tx((result: RunResult) => {
        this.runs.save(experimentId, result);
        this.db
          .prepare('DELETE FROM checkpoints WHERE experiment_id = ? AND trial = ? AND variant = ? AND round = ?')
          .run(experimentId, result.trial, result.variant, result.round);
        if (result.variant === 'ticket') this.experiments.refreshWinningTicket(experimentId);
        beat();
      }),
      saveAnalysis: tx((kind: string, trial: number, point: number, data: unknown) => {
        this.db
          .prepare('INSERT OR REPLACE INTO analysis_results (experiment_id, kind, trial, point, data, saved_at) VALUES (?, ?, ?, ?, ?, ?)')
          .run(experimentId, kind, trial, point, JSON.stringify(data), new Date().toISOString());
        beat();
      }),
      saveCheckpoint: tx((c: Checkpoint) => {
        // v8 serialization keeps the typed arrays bit-exact and needs no schema of its own.
        this.db
          .prepare(
            'INSERT OR REPLACE INTO checkpoints (experiment_id, trial, variant, round, iteration, data, saved_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
          )
          .run(experimentId, c.trial, c.variant, c.round, c.iteration, serialize(c), new Date().toISOString());
        beat();
      }),
    };
  }
}
