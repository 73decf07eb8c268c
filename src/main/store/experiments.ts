import { experimentKind } from '../../shared/kind';
import { networkLabel } from '../../shared/network';
import { chooseWinningTicket, type WinningTicketVerdict } from '../../shared/aggregate';
import { readEarlyBirdSeries, type EarlyBirdSeries } from '../../shared/analyses/early-bird';
import { summarizeStability, suggestedRewindPoint, type StabilityPointResult } from '../../shared/analyses/stability';
import type {
  BackendName,
  ExperimentDetail,
  ExperimentStatus,
  ExperimentSummary,
  GpuAdapterInfo,
  LayerInfo,
  WinningTicket,
} from '../../shared/results';
import type { ExperimentSpec, PruningMethod } from '../../shared/spec';
import type { Db } from './db';
import { notFound, StoreError } from './errors';
import { newId, nowIso, specHash } from './ids';
import { parseJson } from './json';
import { checkLayers, parseLayers } from './layers';
import { RUN_BYTES_SQL, type RunRepo } from './runs';

export interface Versions {
  lthLab: string;
  tfjs: string;
  /** The backend's own description when the experiment last started; on WebGPU its adapter too. */
  backendDetail?: string;
  adapter?: GpuAdapterInfo;
}

export interface NewExperiment {
  spec: ExperimentSpec;
  datasetHash: string;
  versions: Versions;
  /** Known once the network is built; may be set later with setLayers (before any mask or weights are saved). */
  layers?: LayerInfo[] | null;
  status?: ExperimentStatus;
  /** Default: the spec's name, else the network and dataset. */
  name?: string;
}

interface ExperimentRow {
  id: string;
  name: string;
  spec: string;
  spec_hash: string;
  status: ExperimentStatus;
  dataset_id: string;
  dataset_hash: string;
  backend: BackendName | null;
  versions: string;
  layers: string | null;
  source_ticket_id: string | null;
  rounds_planned: number;
  trials: number;
  winning_ticket: string | null;
  winning_ticket_reason: string | null;
  owner_pid: number | null;
  heartbeat_at: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
  disk_bytes: number;
  rounds_done: number;
  steps_planned: number;
  has_stability: number;
  has_early_bird: number;
  method: PruningMethod | null;
  notes: string;
  tags: string;
}

/** What another process needs to tell whether a 'running' experiment is still alive. */
export interface Liveness {
  status: ExperimentStatus;
  ownerPid: number | null;
  heartbeatAt: string | null;
}

const TERMINAL: readonly ExperimentStatus[] = ['completed', 'failed', 'cancelled'];

/** Bytes of an experiment's JSON columns and every blob it owns (runs, curves, masks, weights). */
const SUMMARY_SQL = `
  SELECT e.*,
    json_type(e.spec, '$.stability') IS NOT NULL AS has_stability,
    json_type(e.spec, '$.earlyBird') IS NOT NULL AS has_early_bird,
    json_extract(e.spec, '$.pruning.method') AS method,
    -- An instability analysis plans starting points, not the pruning rounds its spec carries.
    CASE WHEN json_type(e.spec, '$.stability') IS NULL THEN e.rounds_planned
      WHEN json_extract(e.spec, '$.stability.sourceExperimentId') IS NOT NULL
        THEN coalesce((SELECT s.rounds_planned FROM experiments s WHERE s.id = json_extract(e.spec, '$.stability.sourceExperimentId')), e.rounds_planned)
      WHEN e.source_ticket_id IS NOT NULL THEN 1
      ELSE json_array_length(e.spec, '$.stability.rewindPoints') END AS steps_planned,
    octet_length(e.spec) + octet_length(e.versions) + coalesce(octet_length(e.layers), 0)
      + coalesce(octet_length(e.winning_ticket), 0)
      + coalesce((SELECT SUM(length(bits)) FROM masks WHERE experiment_id = e.id), 0)
      + coalesce((SELECT SUM(length(data)) FROM weights WHERE experiment_id = e.id), 0)
      + coalesce((SELECT SUM(length(data)) FROM checkpoints WHERE experiment_id = e.id), 0)
      + coalesce((SELECT SUM(length(data)) FROM analysis_results WHERE experiment_id = e.id), 0)
      + coalesce((SELECT SUM(${RUN_BYTES_SQL}) FROM runs r LEFT JOIN run_curves c ON c.run_id = r.id
                  WHERE r.experiment_id = e.id), 0) AS disk_bytes,
    (SELECT COUNT(*) FROM (SELECT round FROM runs WHERE experiment_id = e.id AND variant = 'ticket'
       GROUP BY round HAVING COUNT(DISTINCT trial) >= e.trials))
    -- An instability analysis's points are its steps; an early bird's series sit beside ticket rounds already counted.
    + (SELECT COUNT(*) FROM (SELECT point FROM analysis_results WHERE experiment_id = e.id AND kind = 'stability'
       GROUP BY point HAVING COUNT(DISTINCT trial) >= e.trials)) AS rounds_done
  FROM experiments e`;

export class ExperimentRepo {
  constructor(
    private readonly db: Db,
    private readonly runs: RunRepo,
  ) {}

  create(input: NewExperiment): ExperimentSummary {
    for (let attempt = 0; ; attempt++) {
      const id = newId('e_');
      try {
        this.insert(id, input);
        return this.get(id);
      } catch (e) {
        // 50 random bits collide about never; retry rather than fail if they do.
        if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY' && attempt < 5) continue;
        throw e;
      }
    }
  }

  /**
   * The experiment under an id given elsewhere (a Slurm task's own file holds the lab's experiment under the lab's
   * id): created when absent; when present it must be the same spec on the same data, or it is refused.
   */
  ensure(id: string, input: NewExperiment): ExperimentSummary {
    const have = this.db.prepare('SELECT spec_hash, dataset_hash FROM experiments WHERE id = ?').get(id) as { spec_hash: string; dataset_hash: string } | undefined;
    if (!have) {
      this.insert(id, input);
      return this.get(id);
    }
    const hash = specHash(input.spec);
    if (have.spec_hash !== hash) throw new StoreError(`experiment ${id} is stored with spec hash ${have.spec_hash.slice(0, 12)}…, not ${hash.slice(0, 12)}…`, 'conflict');
    if (have.dataset_hash !== input.datasetHash) {
      throw new StoreError(`experiment ${id} was trained on dataset ${have.dataset_hash.slice(0, 12)}…, not ${input.datasetHash.slice(0, 12)}…`, 'conflict');
    }
    return this.get(id);
  }

  private insert(id: string, input: NewExperiment): void {
    const { spec } = input;
    if (input.layers) checkLayers(input.layers, 'experiment layers');
    this.db
      .prepare(
        `INSERT INTO experiments (id, name, spec, spec_hash, status, dataset_id, dataset_hash, versions, layers, source_ticket_id,
           rounds_planned, trials, winning_ticket_reason, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        input.name ?? spec.name ?? `${networkLabel(spec.network)} on ${spec.dataset}`,
        JSON.stringify(spec),
        specHash(spec),
        input.status ?? 'queued',
        spec.dataset,
        input.datasetHash,
        JSON.stringify(input.versions),
        input.layers ? JSON.stringify(input.layers) : null,
        spec.sourceTicketId ?? null,
        spec.pruning.rounds,
        spec.trials,
        'the dense network (round 0) has not been trained yet',
        nowIso(),
      );
  }

  find(id: string): ExperimentSummary | null {
    const row = this.db.prepare(`${SUMMARY_SQL} WHERE e.id = ?`).get(id) as ExperimentRow | undefined;
    return row ? toSummary(row) : null;
  }

  get(id: string): ExperimentSummary {
    const s = this.find(id);
    if (!s) throw notFound('experiment', id);
    return s;
  }

  /** Newest first. */
  list(): ExperimentSummary[] {
    return (this.db.prepare(`${SUMMARY_SQL} ORDER BY e.created_at DESC, e.id`).all() as ExperimentRow[]).map(toSummary);
  }

  detail(id: string): ExperimentDetail {
    const row = this.db.prepare(`${SUMMARY_SQL} WHERE e.id = ?`).get(id) as ExperimentRow | undefined;
    if (!row) throw notFound('experiment', id);
    const spec = parseJson<ExperimentSpec>(row.spec, `experiment ${id} spec`);
    const runs = this.runs.list(id, true);
    const verdict = verdictOf(spec, runs);
    const stability = spec.stability ? this.stabilityOf(id, spec.stability.threshold) : undefined;
    const earlyBird = spec.earlyBird ? this.earlyBirdOf(id) : undefined;
    return {
      ...(stability ? { stability } : {}),
      ...(earlyBird ? { earlyBird } : {}),
      ...toSummary(row),
      winningTicket: verdict.ticket,
      spec,
      specHash: row.spec_hash,
      versions: parseJson<Versions>(row.versions, `experiment ${id} versions`),
      layers: row.layers ? parseLayers(row.layers, `experiment ${id} layers`) : [],
      runs,
      winningTicketReason: stability ? 'an instability analysis names no winning ticket' : verdict.reason,
    };
  }

  private earlyBirdOf(id: string): NonNullable<ExperimentDetail['earlyBird']> {
    const rows = this.db
      .prepare("SELECT trial, point, data FROM analysis_results WHERE experiment_id = ? AND kind = 'early-bird' ORDER BY trial, point")
      .all(id) as { trial: number; point: number; data: string }[];
    return rows.map((r) => ({ trial: r.trial, round: r.point, series: readEarlyBirdSeries(parseJson<EarlyBirdSeries>(r.data, `experiment ${id} early-bird series`)) }));
  }

  private stabilityOf(id: string, threshold: number): NonNullable<ExperimentDetail['stability']> {
    const rows = this.db
      .prepare("SELECT data FROM analysis_results WHERE experiment_id = ? AND kind = 'stability' ORDER BY point, trial")
      .all(id) as { data: string }[];
    const points = rows.map((r) => parseJson<StabilityPointResult>(r.data, `experiment ${id} stability result`));
    const summary = summarizeStability(points, threshold);
    return { threshold, points, summary, suggestedRewindPoint: suggestedRewindPoint(summary) };
  }

  spec(id: string): ExperimentSpec {
    const row = this.db.prepare('SELECT spec FROM experiments WHERE id = ?').get(id) as { spec: string } | undefined;
    if (!row) throw notFound('experiment', id);
    return parseJson<ExperimentSpec>(row.spec, `experiment ${id} spec`);
  }

  /** The layout of every mask and weights blob of the experiment. */
  layers(id: string): LayerInfo[] {
    const row = this.db.prepare('SELECT layers FROM experiments WHERE id = ?').get(id) as { layers: string | null } | undefined;
    if (!row) throw notFound('experiment', id);
    if (row.layers === null) throw new StoreError(`experiment ${id} has no layers yet: the network has not been built`, 'invalid');
    return parseLayers(row.layers, `experiment ${id} layers`);
  }

  /** Refused once blobs exist: changing the layout would make them unreadable. */
  setLayers(id: string, layers: LayerInfo[]): void {
    checkLayers(layers, `experiment ${id} layers`);
    this.db.transaction(() => {
      const row = this.db.prepare('SELECT layers FROM experiments WHERE id = ?').get(id) as { layers: string | null } | undefined;
      if (!row) throw notFound('experiment', id);
      const next = JSON.stringify(layers);
      if (row.layers === next) return;
      const blobs = this.db
        .prepare('SELECT (SELECT COUNT(*) FROM masks WHERE experiment_id = ?) + (SELECT COUNT(*) FROM weights WHERE experiment_id = ?) AS n')
        .get(id, id) as { n: number };
      if (row.layers !== null && blobs.n > 0) {
        throw new StoreError(`experiment ${id} already has masks or weights laid out by other layers`, 'conflict');
      }
      this.db.prepare('UPDATE experiments SET layers = ? WHERE id = ?').run(next, id);
    })();
  }

  /** A worker took the experiment: record who, so others can check it is alive (heartbeat). */
  markRunning(id: string, run: { backend: BackendName; ownerPid: number; versions?: Versions }): void {
    const now = nowIso();
    const r = this.db
      .prepare(
        `UPDATE experiments SET status = 'running', backend = ?, owner_pid = ?, heartbeat_at = ?,
           started_at = coalesce(started_at, ?), finished_at = NULL, error = NULL, versions = coalesce(?, versions)
         WHERE id = ?`,
      )
      .run(run.backend, run.ownerPid, now, now, run.versions ? JSON.stringify(run.versions) : null, id);
    if (r.changes === 0) throw notFound('experiment', id);
  }

  /** Name, notes and tags: the record's own fields (the spec and its results never change). */
  update(id: string, u: { name?: string; notes?: string; tags?: string[] }): ExperimentSummary {
    // All or nothing: a refused tag does not leave a new name behind.
    return this.db.transaction(() => this.applyUpdate(id, u))();
  }

  private applyUpdate(id: string, u: { name?: string; notes?: string; tags?: string[] }): ExperimentSummary {
    if (u.name !== undefined) this.rename(id, u.name);
    if (u.notes !== undefined) {
      if (u.notes.length > 20_000) throw new StoreError('experiment notes are at most 20,000 characters', 'invalid');
      this.db.prepare('UPDATE experiments SET notes = ? WHERE id = ?').run(u.notes, id);
    }
    if (u.tags !== undefined) {
      const tags = [...new Set(u.tags.map((t) => t.trim()).filter(Boolean))];
      if (tags.some((t) => t.length > 64)) throw new StoreError('a tag is at most 64 characters', 'invalid');
      if (tags.length > 64) throw new StoreError('an experiment has at most 64 tags', 'invalid');
      this.db.prepare('UPDATE experiments SET tags = ? WHERE id = ?').run(JSON.stringify(tags), id);
    }
    return this.get(id);
  }

  /** A new display name; the spec (and its hash) keeps the name it was created with. */
  rename(id: string, name: string): ExperimentSummary {
    const clean = name.trim();
    if (!clean) throw new StoreError('an experiment name cannot be empty', 'invalid');
    if (clean.length > 200) throw new StoreError('an experiment name is at most 200 characters', 'invalid');
    const r = this.db.prepare('UPDATE experiments SET name = ? WHERE id = ?').run(clean, id);
    if (r.changes === 0) throw notFound('experiment', id);
    return this.get(id);
  }

  heartbeat(id: string): void {
    this.db.prepare('UPDATE experiments SET heartbeat_at = ? WHERE id = ?').run(nowIso(), id);
  }

  liveness(id: string): Liveness {
    const row = this.db.prepare('SELECT status, owner_pid, heartbeat_at FROM experiments WHERE id = ?').get(id) as
      | { status: ExperimentStatus; owner_pid: number | null; heartbeat_at: string | null }
      | undefined;
    if (!row) throw notFound('experiment', id);
    return { status: row.status, ownerPid: row.owner_pid, heartbeatAt: row.heartbeat_at };
  }

  /**
   * Waiting in a process's queue: `ownerPid` is that process (null: waiting for whichever window or server
   * starts next). A queued experiment whose owner died before starting it is interrupted, not left waiting.
   */
  setQueued(id: string, ownerPid: number | null): void {
    const r = this.db.prepare("UPDATE experiments SET status = 'queued', error = NULL, owner_pid = ? WHERE id = ?").run(ownerPid, id);
    if (r.changes === 0) throw notFound('experiment', id);
  }

  /** Any status other than 'running' releases the owner; terminal ones stamp finished_at. */
  setStatus(id: string, status: ExperimentStatus, error: string | null = null): void {
    const running = status === 'running';
    const r = this.db
      .prepare(
        `UPDATE experiments SET status = ?, error = ?,
           finished_at = CASE WHEN ? THEN ? ELSE finished_at END,
           owner_pid = CASE WHEN ? THEN owner_pid ELSE NULL END
         WHERE id = ?`,
      )
      .run(status, error, TERMINAL.includes(status) ? 1 : 0, nowIso(), running ? 1 : 0, id);
    if (r.changes === 0) throw notFound('experiment', id);
  }

  /** Recomputes the cached winning ticket from the runs (scalars only). Call after saving a ticket run. */
  refreshWinningTicket(id: string): void {
    const runs = this.runs.list(id, false);
    const spec = this.spec(id);
    const v = verdictOf(spec, runs);
    this.db
      .prepare('UPDATE experiments SET winning_ticket = ?, winning_ticket_reason = ? WHERE id = ?')
      .run(v.ticket ? JSON.stringify(v.ticket) : null, v.reason, id);
  }

  /** Runs, curves, masks and weights go with it (ON DELETE CASCADE); its tickets stay, detached. */
  delete(id: string): void {
    const r = this.db.prepare('DELETE FROM experiments WHERE id = ?').run(id);
    if (r.changes === 0) throw notFound('experiment', id);
  }
}

/**
 * The winning-ticket rule, except where it would compare against a dense run that did not train to the end:
 * early-bird IMP stops the dense round where its mask settled.
 */
function verdictOf(spec: ExperimentSpec, runs: readonly import('../../shared/results').RunResult[]): WinningTicketVerdict {
  if (spec.earlyBird?.prune) {
    return { ticket: null, reason: 'early-bird IMP stops the dense round early, so there is no full dense run to compare with: compare its last round with standard IMP on the same seed' };
  }
  return chooseWinningTicket(runs, spec.tolerance, spec.trials, experimentKind(spec) === 'at-init' ? 'density' : 'round');
}

function toSummary(r: ExperimentRow): ExperimentSummary {
  return {
    id: r.id,
    name: r.name,
    status: r.status,
    datasetId: r.dataset_id,
    datasetHash: r.dataset_hash,
    backend: r.backend,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    error: r.error,
    sourceTicketId: r.source_ticket_id,
    roundsDone: r.rounds_done,
    roundsPlanned: r.steps_planned,
    kind: experimentKind({ stability: r.has_stability ? true : undefined, earlyBird: r.has_early_bird ? true : undefined, pruning: { method: r.method ?? 'magnitude' } }),
    diskBytes: r.disk_bytes,
    winningTicket: r.winning_ticket ? parseJson<WinningTicket>(r.winning_ticket, `experiment ${r.id} winning ticket`) : null,
    notes: r.notes ?? '',
    tags: r.tags ? parseJson<string[]>(r.tags, `experiment ${r.id} tags`) : [],
  };
}
