import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { sameLayerInfo } from '../../shared/layers';
import type { LayerInfo, RunResult } from '../../shared/results';
import { plannedVariants } from '../engine/imp';
import { specVariants } from '../../shared/variants';
import { maskDensity, unpackWeights } from '../store/blobs';
import { parseLayers } from '../store/layers';
import { RunRepo } from '../store/runs';
import type { Store } from '../store';
import { publishedFile } from './folder';

/** Results that must not enter the store: another spec, other data, a damaged or foreign file. */
export class SyncRefusedError extends Error {
  override name = 'SyncRefusedError';
}

export interface TrialSync {
  trial: number;
  file: string;
  /** False when the task has not published anything yet. */
  found: boolean;
  runsAdded: number;
  masksAdded: number;
  weightsAdded: number;
  /** What the task's own store says of itself: running, completed, interrupted, failed (with its error). */
  taskStatus: string | null;
  taskError: string | null;
}

/** Runs one trial of the spec produces: the ticket every round, the controls on pruned rounds. */
export function runsPlannedPerTrial(store: Store, id: string): number {
  const spec = store.experiments.spec(id);
  let n = 0;
  for (let r = 0; r < spec.pruning.rounds; r++) n += plannedVariants(spec, r, false).length;
  return n;
}

const sameRun = (a: RunResult, b: RunResult) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Merges what task `trial` has published into the local store, in one transaction. Checks first, writes after:
 * the file must be a readable SQLite store passing quick_check, hold this experiment with the same spec hash,
 * dataset hash and layers, only rows of its own trial, masks and weights of exactly the layers' sizes, and
 * ticket runs whose recorded density is the density of their mask (as a ticket import checks mask.bin against
 * ticket.json). Rows already here are compared, never overwritten: a difference is refused. Merging the same
 * file twice adds nothing.
 */
export function mergeTrial(store: Store, id: string, folder: string, trial: number): TrialSync {
  const file = publishedFile(folder, trial);
  const out: TrialSync = { trial, file, found: false, runsAdded: 0, masksAdded: 0, weightsAdded: 0, taskStatus: null, taskError: null };
  if (!existsSync(file)) return out;
  out.found = true;
  const refuse = (why: string) => new SyncRefusedError(`results of trial ${trial} (${file}) refused: ${why}`);
  let src: Database.Database;
  try {
    src = new Database(file, { readonly: true, fileMustExist: true });
  } catch (e) {
    throw refuse(`cannot open it read-only: ${(e as Error).message}`);
  }
  try {
    let check: string[];
    try {
      check = (src.pragma('quick_check') as { quick_check: string }[]).map((r) => r.quick_check);
    } catch (e) {
      throw refuse(`not a readable SQLite database: ${(e as Error).message}`);
    }
    if (check.join() !== 'ok') throw refuse(`damaged: ${check.slice(0, 3).join('; ')}`);

    const local = store.experimentDetail(id);
    const rows = src.prepare('SELECT id, spec_hash, dataset_hash, layers, status, error, backend FROM experiments').all() as {
      id: string;
      spec_hash: string;
      dataset_hash: string;
      layers: string | null;
      status: string;
      error: string | null;
      backend: string | null;
    }[];
    if (rows.length !== 1 || rows[0]!.id !== id) throw refuse(`it holds experiment(s) ${rows.map((r) => r.id).join(', ') || 'none'}, not ${id}`);
    const row = rows[0]!;
    if (row.spec_hash !== local.specHash) {
      throw refuse(`its spec hash ${row.spec_hash.slice(0, 16)}… differs from the experiment's ${local.specHash.slice(0, 16)}…: it trained another spec`);
    }
    if (row.dataset_hash !== local.datasetHash) {
      throw refuse(`its dataset hash ${row.dataset_hash.slice(0, 16)}… differs from the experiment's ${local.datasetHash.slice(0, 16)}…: it trained on other data`);
    }
    const layers: LayerInfo[] = local.layers;
    let theirs: LayerInfo[];
    try {
      theirs = parseLayers(row.layers, 'its layers');
    } catch (e) {
      throw refuse((e as Error).message);
    }
    if (!sameLayerInfo(theirs, layers)) throw refuse('its layers differ from the experiment network');
    out.taskStatus = row.status;
    out.taskError = row.error;

    const foreign = src
      .prepare(
        `SELECT (SELECT COUNT(*) FROM runs WHERE trial != ?) + (SELECT COUNT(*) FROM masks WHERE trial != ?)
           + (SELECT COUNT(*) FROM weights WHERE trial != ?) AS n`,
      )
      .get(trial, trial, trial) as { n: number };
    if (foreign.n > 0) throw refuse(`it holds rows of other trials than ${trial}`);

    const masks = src.prepare('SELECT round, bits FROM masks WHERE experiment_id = ? ORDER BY round').all(id) as { round: number; bits: Buffer }[];
    const weights = src.prepare('SELECT kind, round, data FROM weights WHERE experiment_id = ? ORDER BY kind, round').all(id) as {
      kind: 'rewind' | 'trained';
      round: number;
      data: Buffer;
    }[];
    let runs: RunResult[];
    try {
      runs = new RunRepo(src).list(id, true);
    } catch (e) {
      throw refuse(`a run cannot be read: ${(e as Error).message}`);
    }
    const density = new Map<number, number[]>();
    for (const m of masks) {
      try {
        density.set(m.round, maskDensity(m.bits, layers));
      } catch (e) {
        throw refuse(`mask of round ${m.round}: ${(e as Error).message}`);
      }
    }
    for (const w of weights) {
      try {
        unpackWeights(w.data, layers);
      } catch (e) {
        throw refuse(`${w.kind} weights of round ${w.round}: ${(e as Error).message}`);
      }
    }
    const spec = local.spec;
    for (const r of runs) {
      if (r.round >= spec.pruning.rounds) throw refuse(`run round ${r.round} is beyond the spec's ${spec.pruning.rounds} rounds`);
      if (!specVariants(spec).includes(r.variant)) throw refuse(`run ${r.variant} round ${r.round} is not a control of the spec`);
      if (r.variant === 'ticket') {
        const d = density.get(r.round);
        if (!d) throw refuse(`ticket run of round ${r.round} has no mask`);
        if (r.layerDensity.length !== d.length || d.some((v, i) => Math.abs(v - r.layerDensity[i]!) > 1e-9)) {
          throw refuse(`ticket run of round ${r.round} records another density per layer than its mask keeps`);
        }
      }
    }

    const db = store.db;
    // IMMEDIATE: the write lock before the comparisons, so two syncs at once (a window's poll and `lth sync`)
    // take turns instead of both reading "absent" and one failing on the unique key.
    db.transaction(() => {
      const getMask = db.prepare('SELECT bits FROM masks WHERE experiment_id = ? AND trial = ? AND round = ?');
      const putMask = db.prepare('INSERT INTO masks (experiment_id, trial, round, bits) VALUES (?, ?, ?, ?)');
      for (const m of masks) {
        const have = getMask.get(id, trial, m.round) as { bits: Buffer } | undefined;
        if (!have) {
          putMask.run(id, trial, m.round, m.bits);
          out.masksAdded++;
        } else if (!have.bits.equals(m.bits)) throw refuse(`its mask of round ${m.round} differs from the one already merged`);
      }
      const done = store.experiments.get(id).status === 'completed';
      const getW = db.prepare('SELECT data FROM weights WHERE experiment_id = ? AND trial = ? AND kind = ? AND round = ?');
      const putW = db.prepare('INSERT INTO weights (experiment_id, trial, kind, round, data) VALUES (?, ?, ?, ?, ?)');
      for (const w of weights) {
        // Trained weights only serve resuming; a completed experiment has dropped them on purpose.
        if (w.kind === 'trained' && done) continue;
        const have = getW.get(id, trial, w.kind, w.round) as { data: Buffer } | undefined;
        if (!have) {
          putW.run(id, trial, w.kind, w.round, w.data);
          out.weightsAdded++;
        } else if (!have.data.equals(w.data)) throw refuse(`its ${w.kind} weights of round ${w.round} differ from those already merged`);
      }
      for (const r of runs) {
        const have = store.runs.find(id, r.trial, r.variant, r.round);
        if (!have) {
          store.runs.save(id, r);
          out.runsAdded++;
        } else if (!sameRun(have, r)) throw refuse(`its ${r.variant} run of round ${r.round} differs from the one already merged`);
      }
      if (out.runsAdded > 0) store.experiments.refreshWinningTicket(id);
      // The backend the nodes trained with, as a local run records its own.
      if (row.backend) db.prepare('UPDATE experiments SET backend = ? WHERE id = ? AND backend IS NULL').run(row.backend, id);
    }).immediate();
    return out;
  } finally {
    src.close();
  }
}
