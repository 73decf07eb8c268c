import type { LayerInfo, TicketRecord } from '../../shared/results';
import type { ExperimentSpec } from '../../shared/spec';
import { experimentKind } from '../../shared/kind';
import type { Mask, WeightSet } from '../engine/types';
import type { ArtifactRepo } from './artifacts';
import { packMask, unpackMask, unpackWeights } from './blobs';
import type { Db } from './db';
import { notFound, StoreError } from './errors';
import type { ExperimentRepo, Versions } from './experiments';
import { newId, nowIso, specHash } from './ids';
import { num, parseJson, sqlNum } from './json';
import { checkLayers, parseLayers } from './layers';
import type { RunRepo } from './runs';

interface TicketRow {
  id: string;
  name: string;
  notes: string;
  tags: string;
  experiment_id: string | null;
  origin_experiment_id: string;
  origin: 'saved' | 'imported';
  trial: number;
  round: number;
  spec: string;
  spec_hash: string;
  layers: string;
  dataset_id: string;
  dataset_hash: string;
  dataset_shape: string | null;
  versions: string;
  weights_remaining: number;
  layer_density: string;
  val_accuracy: number | null;
  test_accuracy: number | null;
  has_trained: number;
  created_at: string;
  disk_bytes: number;
}

export interface TicketUpdate {
  name?: string;
  notes?: string;
  tags?: string[];
}

/** Everything a ticket owns: enough to retrain it, transfer it or export it without its experiment. */
export interface LoadedTicket {
  record: TicketRecord;
  /** The experiment it still belongs to; null once that was deleted, or for an imported ticket. */
  liveExperimentId: string | null;
  origin: 'saved' | 'imported';
  spec: ExperimentSpec;
  specHash: string;
  layers: LayerInfo[];
  datasetHash: string;
  datasetShape: [number, number, number] | null;
  versions: Versions;
  mask: Mask;
  rewindWeights: WeightSet;
  trainedWeights: WeightSet | null;
}

/** The raw form import and export move around (blobs already packed and validated). */
export interface TicketData {
  id?: string;
  name: string;
  notes: string;
  tags: string[];
  originExperimentId: string;
  trial: number;
  round: number;
  spec: ExperimentSpec;
  layers: LayerInfo[];
  datasetHash: string;
  datasetShape: [number, number, number] | null;
  versions: Versions;
  weightsRemaining: number;
  layerDensity: number[];
  valAccuracy: number;
  testAccuracy: number;
  mask: Buffer;
  rewindWeights: Buffer;
  trainedWeights: Buffer | null;
  createdAt?: string;
}

const SELECT_SQL = `
  SELECT t.id, t.name, t.notes, t.tags, t.experiment_id, t.origin_experiment_id, t.origin, t.trial, t.round, t.spec, t.spec_hash,
    t.layers, t.dataset_id, t.dataset_hash, t.dataset_shape, t.versions, t.weights_remaining, t.layer_density, t.val_accuracy,
    t.test_accuracy, t.trained_weights IS NOT NULL AS has_trained, t.created_at,
    length(t.mask) + length(t.rewind_weights) + coalesce(length(t.trained_weights), 0)
      + octet_length(t.spec) + octet_length(t.layers) + octet_length(t.versions) + octet_length(t.layer_density)
      + octet_length(t.tags) + octet_length(t.notes) + coalesce(octet_length(t.dataset_shape), 0) AS disk_bytes
  FROM tickets t`;

export const MAX_NAME = 200;
export const MAX_NOTES = 100_000;
export const MAX_TAGS = 32;
export const MAX_TAG = 64;

export class TicketRepo {
  constructor(
    private readonly db: Db,
    private readonly experiments: ExperimentRepo,
    private readonly runs: RunRepo,
    private readonly artifacts: ArtifactRepo,
  ) {}

  /**
   * Copies the mask, the trial's rewind weights and (if still stored) the trained weights of that round into
   * the ticket, so it outlives pruneTrainedWeights and the experiment itself.
   */
  save(experimentId: string, trial: number, round: number, name?: string): TicketRecord {
    return this.db.transaction(() => {
      const detail = this.experiments.get(experimentId);
      const spec = this.experiments.spec(experimentId);
      const layers = this.experiments.layers(experimentId);
      const run = this.runs.find(experimentId, trial, 'ticket', round);
      if (!run) throw new StoreError(`experiment ${experimentId} has no finished ticket run for trial ${trial} round ${round}`, 'not-found');
      const rewind = this.artifacts.weightsBlob(experimentId, trial, 'rewind', 0);
      if (!rewind) throw new StoreError(`experiment ${experimentId} has no rewind weights for trial ${trial}`, 'not-found');
      let mask = this.artifacts.maskBlob(experimentId, trial, round);
      if (!mask && round === 0 && !spec.sourceTicketId) {
        // The dense round keeps every weight; the driver need not have stored an all-ones mask.
        mask = packMask(layers.map((l) => new Uint8Array(l.weights).fill(1)), layers);
      }
      if (!mask) throw new StoreError(`experiment ${experimentId} has no mask for trial ${trial} round ${round}`, 'not-found');
      const trained = this.artifacts.weightsBlob(experimentId, trial, 'trained', round);
      const shape = this.db.prepare('SELECT shape FROM datasets WHERE id = ?').get(spec.dataset) as { shape: string } | undefined;
      const id = this.insert(
        {
          // Pruning at init prunes to densities, not rounds: its mask is named by what it kept.
          name:
            name?.trim() ||
            (experimentKind(spec) === 'at-init'
              ? `${detail.name} · trial ${trial} density ${((spec.pruning.densities?.[round - 1] ?? run.weightsRemaining) * 100).toFixed(1)}%`
              : `${detail.name} · trial ${trial} round ${round} (${(run.weightsRemaining * 100).toFixed(1)}%)`),
          notes: '',
          tags: [],
          originExperimentId: experimentId,
          trial,
          round,
          spec,
          layers,
          datasetHash: detail.datasetHash,
          datasetShape: shape ? parseJson<[number, number, number]>(shape.shape, `dataset ${spec.dataset} shape`) : null,
          versions: this.experimentVersions(experimentId),
          weightsRemaining: run.weightsRemaining,
          layerDensity: run.layerDensity,
          valAccuracy: run.valAccuracy,
          testAccuracy: run.testAccuracy,
          mask,
          rewindWeights: rewind,
          trainedWeights: trained,
        },
        'saved',
        experimentId,
      );
      return this.get(id);
    })();
  }

  /** Inserts validated ticket data; the caller wraps it in its transaction. Returns the id used. */
  insert(d: TicketData, origin: 'saved' | 'imported', experimentId: string | null): string {
    checkLayers(d.layers, 'ticket layers');
    const name = checkName(d.name);
    const tags = checkTags(d.tags);
    if (d.notes.length > MAX_NOTES) throw new StoreError(`ticket notes longer than ${MAX_NOTES} characters`);
    const taken = (id: string) => this.db.prepare('SELECT 1 FROM tickets WHERE id = ?').get(id) !== undefined;
    let id = d.id && !taken(d.id) ? d.id : newId('t_');
    while (taken(id)) id = newId('t_');
    this.db
      .prepare(
        `INSERT INTO tickets (id, name, notes, tags, experiment_id, origin_experiment_id, origin, trial, round, spec, spec_hash, layers,
           dataset_id, dataset_hash, dataset_shape, versions, weights_remaining, layer_density, val_accuracy, test_accuracy,
           mask, rewind_weights, trained_weights, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        name,
        d.notes,
        JSON.stringify(tags),
        experimentId,
        d.originExperimentId,
        origin,
        d.trial,
        d.round,
        JSON.stringify(d.spec),
        specHash(d.spec),
        JSON.stringify(d.layers),
        d.spec.dataset,
        d.datasetHash,
        d.datasetShape ? JSON.stringify(d.datasetShape) : null,
        JSON.stringify(d.versions),
        d.weightsRemaining,
        JSON.stringify(d.layerDensity),
        sqlNum(d.valAccuracy),
        sqlNum(d.testAccuracy),
        d.mask,
        d.rewindWeights,
        d.trainedWeights,
        d.createdAt ?? nowIso(),
      );
    return id;
  }

  find(id: string): TicketRecord | null {
    const row = this.db.prepare(`${SELECT_SQL} WHERE t.id = ?`).get(id) as TicketRow | undefined;
    return row ? toRecord(row) : null;
  }

  get(id: string): TicketRecord {
    const t = this.find(id);
    if (!t) throw notFound('ticket', id);
    return t;
  }

  /** Newest first. */
  list(): TicketRecord[] {
    return (this.db.prepare(`${SELECT_SQL} ORDER BY t.created_at DESC, t.id`).all() as TicketRow[]).map(toRecord);
  }

  listForExperiment(experimentId: string): TicketRecord[] {
    return (this.db.prepare(`${SELECT_SQL} WHERE t.experiment_id = ? ORDER BY t.created_at DESC, t.id`).all(experimentId) as TicketRow[]).map(
      toRecord,
    );
  }

  update(id: string, u: TicketUpdate): TicketRecord {
    this.db.transaction(() => {
      this.get(id);
      if (u.name !== undefined) this.db.prepare('UPDATE tickets SET name = ? WHERE id = ?').run(checkName(u.name), id);
      if (u.notes !== undefined) {
        if (u.notes.length > MAX_NOTES) throw new StoreError(`ticket notes longer than ${MAX_NOTES} characters`);
        this.db.prepare('UPDATE tickets SET notes = ? WHERE id = ?').run(u.notes, id);
      }
      if (u.tags !== undefined) this.db.prepare('UPDATE tickets SET tags = ? WHERE id = ?').run(JSON.stringify(checkTags(u.tags)), id);
    })();
    return this.get(id);
  }

  delete(id: string): void {
    const r = this.db.prepare('DELETE FROM tickets WHERE id = ?').run(id);
    if (r.changes === 0) throw notFound('ticket', id);
  }

  /** The packed blobs, for export without unpacking. */
  blobs(id: string): { mask: Buffer; rewindWeights: Buffer; trainedWeights: Buffer | null } {
    const row = this.db.prepare('SELECT mask, rewind_weights, trained_weights FROM tickets WHERE id = ?').get(id) as
      | { mask: Buffer; rewind_weights: Buffer; trained_weights: Buffer | null }
      | undefined;
    if (!row) throw notFound('ticket', id);
    return { mask: row.mask, rewindWeights: row.rewind_weights, trainedWeights: row.trained_weights };
  }

  load(id: string): LoadedTicket {
    const row = this.db.prepare(`${SELECT_SQL} WHERE t.id = ?`).get(id) as TicketRow | undefined;
    if (!row) throw notFound('ticket', id);
    const b = this.blobs(id);
    const layers = parseLayers(row.layers, `ticket ${id} layers`);
    return {
      record: toRecord(row),
      liveExperimentId: row.experiment_id,
      origin: row.origin,
      spec: parseJson<ExperimentSpec>(row.spec, `ticket ${id} spec`),
      specHash: row.spec_hash,
      layers,
      datasetHash: row.dataset_hash,
      datasetShape: row.dataset_shape ? parseJson<[number, number, number]>(row.dataset_shape, `ticket ${id} dataset shape`) : null,
      versions: parseJson<Versions>(row.versions, `ticket ${id} versions`),
      mask: unpackMask(b.mask, layers),
      rewindWeights: unpackWeights(b.rewindWeights, layers),
      trainedWeights: b.trainedWeights ? unpackWeights(b.trainedWeights, layers) : null,
    };
  }

  private experimentVersions(experimentId: string): Versions {
    const row = this.db.prepare('SELECT versions FROM experiments WHERE id = ?').get(experimentId) as { versions: string };
    return parseJson<Versions>(row.versions, `experiment ${experimentId} versions`);
  }
}

function checkName(name: string): string {
  const n = name.trim();
  if (n.length === 0) throw new StoreError('ticket name must not be empty');
  if (n.length > MAX_NAME) throw new StoreError(`ticket name longer than ${MAX_NAME} characters`);
  return n;
}

function checkTags(tags: readonly string[]): string[] {
  if (!Array.isArray(tags)) throw new StoreError('ticket tags must be a list of strings');
  const out: string[] = [];
  for (const t of tags) {
    if (typeof t !== 'string') throw new StoreError('ticket tags must be strings');
    const s = t.trim();
    if (s.length === 0 || s.length > MAX_TAG) throw new StoreError(`ticket tag ${JSON.stringify(t)} must have 1 to ${MAX_TAG} characters`);
    if (!out.includes(s)) out.push(s);
  }
  if (out.length > MAX_TAGS) throw new StoreError(`a ticket has at most ${MAX_TAGS} tags`);
  return out;
}

function toRecord(r: TicketRow): TicketRecord {
  const spec = parseJson<ExperimentSpec>(r.spec, `ticket ${r.id} spec`);
  return {
    id: r.id,
    name: r.name,
    notes: r.notes,
    tags: parseJson<string[]>(r.tags, `ticket ${r.id} tags`),
    // The shared record has no null here: a detached or imported ticket reports the experiment it came from.
    experimentId: r.origin_experiment_id,
    trial: r.trial,
    round: r.round,
    datasetId: r.dataset_id,
    network: spec.network,
    weightsRemaining: r.weights_remaining,
    layerDensity: parseJson<number[]>(r.layer_density, `ticket ${r.id} layer density`),
    valAccuracy: num(r.val_accuracy),
    testAccuracy: num(r.test_accuracy),
    hasTrainedWeights: r.has_trained === 1,
    createdAt: r.created_at,
    diskBytes: r.disk_bytes,
    method: spec.pruning.method,
    retrain: spec.pruning.retrain,
  };
}
