import { cpSync, existsSync, readFileSync } from 'node:fs';
import { assertSpecFitsDataset } from '../../shared/spec-dataset';
import { join, resolve } from 'node:path';
import type { ExperimentStatus } from '../../shared/results';
import { STOPPED_BY_SLURM, type SlurmExperimentInfo, type SlurmTaskState, type SlurmTrialInfo } from '../../shared/slurm';
import type { BackendChoice } from '../engine/backend';
import { parseSpec, type ExperimentSpecInput } from '../../shared/spec';
import { TFJS_VERSION } from '../engine/backend';
import { planNetwork } from '../engine/network';
import { finish } from '../services/run-experiment';
import { LTH_LAB_VERSION } from '../services/version';
import { StoreError, type Store } from '../store';
import { arrayJobStatus, sbatch, scancel, SlurmError } from './cluster';
import { JOB_SCRIPT, jobScript, shellQuote, writeAtomic, writeManifest, type Manifest } from './folder';
import type { SlurmProfile } from './profile';
import { isOnSlurm, readRecord, writeRecord, type SlurmRecord } from './record';
import { mergeTrial, runsPlannedPerTrial, type TrialSync } from './sync';
import { lastErrorLine, taskLogFile } from './task-log';

export { SlurmError } from './cluster';
export { SlurmProfileError, loadProfile, mergeProfiles, parseProfile, type SlurmProfile } from './profile';
export { SyncRefusedError } from './sync';
export { isOnSlurm, readRecord } from './record';

const ACTIVE: readonly SlurmTaskState[] = ['submitted', 'pending', 'running'];
/** When this process last asked Slurm about an experiment, per id (throttles asking, answered or not). */
const lastAsked = new Map<string, number>();

/**
 * How the nodes start this same lth: this node binary and the script this process was started with (bin/lth.js),
 * else this installation's bin/lth.js beside dist/. A profile's `lth` replaces it where the nodes see another path.
 */
export function defaultLthCommand(): string {
  const entry = process.argv[1];
  // The CLI bundle (dist/), the desktop app's main bundle (out/main/) or the sources (src/main/slurm/).
  const candidates = [1, 2, 3].map((up) => resolve(__dirname, ...Array<string>(up).fill('..'), 'bin', 'lth.js'));
  const script = entry && /(^|[\\/])(lth|cli)(\.js)?$/.test(entry) && existsSync(entry) ? resolve(entry) : candidates.find((c) => existsSync(c));
  if (!script) throw new SlurmError(`cannot tell how the nodes should start lth (no bin/lth.js near ${__dirname}): set "lth" in the Slurm profile`);
  // Electron's binary is not the node the nodes should run: a desktop app submits with the node on PATH.
  const node = process.versions.electron ? 'node' : shellQuote(process.execPath);
  return `${node} ${shellQuote(script)}`;
}

/** Validates and stores a new experiment without queueing it here (the services' create would train it in this process). */
export function createSlurmExperiment(store: Store, input: ExperimentSpecInput): string {
  const parsed = parseSpec(input);
  if (parsed.sourceTicketId) throw new SlurmError('retraining a saved ticket on Slurm is not supported yet: run it locally');
  // A unique dataset name works like its id, as for a local run; the spec records the id.
  const { spec, dataset } = store.datasets.resolveSpec(parsed);
  assertSpecFitsDataset(spec, dataset);
  const plan = planNetwork(spec.network, dataset.shape, dataset.numClasses);
  return store.experiments.create({
    spec,
    datasetHash: dataset.hash,
    versions: { lthLab: LTH_LAB_VERSION, tfjs: TFJS_VERSION },
    layers: plan.layers,
    status: 'interrupted',
  }).id;
}

/**
 * A new experiment on Slurm: stored (not queued here), its folder and job script written, and, unless `submit` is
 * false, its job array submitted. What `lth run --on slurm` and the window's `slurm.submit` do.
 */
export function submitNewExperiment(
  store: Store,
  input: ExperimentSpecInput,
  profile: SlurmProfile,
  backend: BackendChoice,
  submit = true,
): { id: string; folder: string; jobId: string | null; trials: number[] } {
  if (!profile.sharedDir) throw new SlurmError('Slurm needs a shared directory (--shared-dir DIR, or sharedDir in the profile): a folder every node of the cluster sees');
  // Task files merge runs, masks and weights; analysis results and untrained supermask scores are not merged yet.
  if ((input as { stability?: unknown }).stability) throw new SlurmError('an instability analysis runs on this machine only (lth analyze stability): Slurm tasks do not bring its results home yet');
  if ((input as { earlyBird?: unknown }).earlyBird) throw new SlurmError('--early-bird is not available with --on slurm yet: its series are not merged home');
  if ((input as { supermasks?: boolean }).supermasks) throw new SlurmError('--supermasks is not available with --on slurm yet: run without it, then evaluate the masks on this machine');
  const id = createSlurmExperiment(store, input);
  const folder = prepareSlurmExperiment(store, id, profile, backend);
  if (!submit) return { id, folder, jobId: null, trials: [] };
  const s = submitTrials(store, id);
  return { id, folder, jobId: s.jobId, trials: s.trials };
}

/**
 * Writes the experiment folder under the profile's shared directory (experiment.json, job.sbatch, a copy of an
 * imported dataset) and records the experiment as a Slurm one. Submits nothing. Returns the folder.
 */
export function prepareSlurmExperiment(store: Store, id: string, profile: SlurmProfile, backend: BackendChoice): string {
  if (!profile.sharedDir) throw new SlurmError('--on slurm needs --shared-dir DIR (or sharedDir in the profile): a folder every node of the cluster sees');
  const d = store.experimentDetail(id);
  if (d.spec.sourceTicketId) throw new SlurmError('retraining a saved ticket on Slurm is not supported yet: run it locally');
  if (d.layers.length === 0) throw new SlurmError(`experiment ${id} has no layers yet`);
  const folder = join(resolve(profile.sharedDir), id);
  const ds = store.datasets.get(d.datasetId);
  let datasetFolder: string | null = null;
  if (ds.source !== 'builtin') {
    const from = store.datasets.folder(d.datasetId);
    if (!from || !existsSync(from)) throw new SlurmError(`dataset ${d.datasetId} has no folder in the store to copy to the cluster`);
    datasetFolder = 'dataset';
    if (!existsSync(join(folder, datasetFolder))) cpSync(from, join(folder, datasetFolder), { recursive: true });
  }
  const m: Manifest = {
    format: 'lth-lab-slurm-experiment',
    formatVersion: 1,
    experimentId: id,
    name: d.name,
    spec: d.spec,
    specHash: d.specHash,
    dataset: { id: ds.id, source: ds.source, name: ds.name, hash: d.datasetHash, folder: datasetFolder },
    layers: d.layers,
    backend,
    lthLab: LTH_LAB_VERSION,
    createdAt: new Date().toISOString(),
  };
  writeManifest(folder, m);
  writeAtomic(join(folder, JOB_SCRIPT), jobScript(folder, m, profile, profile.lth ?? defaultLthCommand()));
  writeRecord(store, { experimentId: id, folder, profile, jobs: [], states: {}, checkedAt: null, syncedAt: null });
  store.experiments.setStatus(id, 'interrupted', `prepared for Slurm in ${folder}, not submitted yet: lth resume ${id} submits it`);
  return folder;
}

function need(store: Store, id: string): SlurmRecord {
  const r = readRecord(store, id);
  if (!r) throw new StoreError(`experiment ${id} was not sent to Slurm (run it with lth run --on slurm)`, 'not-found');
  return r;
}

export function jobScriptPath(store: Store, id: string): string {
  return join(need(store, id).folder, JOB_SCRIPT);
}

export function readJobScript(store: Store, id: string): string {
  return readFileSync(jobScriptPath(store, id), 'utf8');
}

/** Submits the given trials (all by default) as one job array. */
export function submitTrials(store: Store, id: string, trials?: readonly number[]): { jobId: string; trials: number[] } {
  const rec = need(store, id);
  const all = Array.from({ length: store.experiments.spec(id).trials }, (_, t) => t);
  const list = [...(trials ?? all)].sort((a, b) => a - b);
  if (list.length === 0) throw new SlurmError(`experiment ${id}: no trial left to submit`);
  const jobId = sbatch(join(rec.folder, JOB_SCRIPT), trials ? list : undefined);
  rec.jobs.push({ jobId, trials: list, submittedAt: new Date().toISOString() });
  for (const t of list) rec.states[t] = { state: 'submitted', slurmState: null, jobId: `${jobId}_${t}`, detail: null };
  writeRecord(store, rec);
  store.experiments.setStatus(id, 'running');
  return { jobId, trials: list };
}

/** Reads every trial's state from Slurm into the record (Slurm forgets finished jobs; the record keeps the last word). */
export function refreshStates(store: Store, id: string): SlurmRecord {
  const rec = need(store, id);
  const latest = new Map<number, string>();
  for (const j of rec.jobs) for (const t of j.trials) latest.set(t, j.jobId);
  for (const jobId of new Set(latest.values())) {
    const tasks = arrayJobStatus(jobId);
    for (const [t, j] of latest) {
      if (j !== jobId) continue;
      const s = tasks.find((x) => x.taskId === t);
      const prev = rec.states[t];
      if (s) {
        const task = `${jobId}_${t}`;
        // A failed task's reason, read once from its log (it has stopped writing by then).
        const error = s.state !== 'failed' ? null : prev?.jobId === task && prev.error ? prev.error : lastErrorLine(taskLogFile(rec.folder, task));
        rec.states[t] = { state: s.state, slurmState: s.slurmState, jobId: task, detail: s.exitCode ? `exit ${s.exitCode}${s.reason ? `, ${s.reason}` : ''}` : s.reason, error };
      } else if (!prev || ACTIVE.includes(prev.state)) {
        // Gone from the controller while we last saw it waiting or running: it ended, we cannot tell how.
        rec.states[t] = { state: 'unknown', slurmState: null, jobId: `${jobId}_${t}`, detail: 'no longer known to Slurm' };
      }
    }
  }
  rec.checkedAt = new Date().toISOString();
  writeRecord(store, rec);
  return rec;
}

export interface SyncReport {
  experimentId: string;
  status: ExperimentStatus;
  /** Set when Slurm could not be asked (results were merged all the same). */
  warning: string | null;
  runsAdded: number;
  masksAdded: number;
  weightsAdded: number;
  trials: (TrialSync & { state: SlurmTaskState; jobId: string | null })[];
}

/**
 * `lth sync`: reads the Slurm states, merges every trial's published results, and sets the experiment's status:
 * completed once every planned run is home; running while a task waits or runs; otherwise interrupted (a task was
 * cancelled, timed out or vanished) or failed (a task failed), resumable with `lth resume`. Never completed early.
 */
export function syncExperiment(store: Store, id: string, opts: { queryCluster?: boolean } = {}): SyncReport {
  let rec = need(store, id);
  let warning: string | null = null;
  if (opts.queryCluster !== false) {
    try {
      rec = refreshStates(store, id);
    } catch (e) {
      // Results still come home when the controller does not answer; the states stay as last seen.
      if (!(e instanceof SlurmError)) throw e;
      warning = `${e.message}; trial states are as last seen${rec.checkedAt ? ` at ${rec.checkedAt}` : ''}`;
    }
  }
  const spec = store.experiments.spec(id);
  const trials: SyncReport['trials'] = [];
  for (let t = 0; t < spec.trials; t++) {
    const r = mergeTrial(store, id, rec.folder, t);
    const st = rec.states[t];
    // A failed task's reason: the latest attempt's log speaks for it (it may have died before opening its store,
    // which then still holds an earlier attempt's word), else what its store says.
    if (st?.state === 'failed' && !st.error) st.error = (st.jobId ? lastErrorLine(taskLogFile(rec.folder, st.jobId)) : null) ?? (r.taskStatus === 'failed' ? r.taskError : null);
    trials.push({ ...r, taskError: st?.state === 'failed' ? (st.error ?? r.taskError) : r.taskError, state: st?.state ?? 'not-submitted', jobId: st?.jobId ?? null });
  }
  rec.syncedAt = new Date().toISOString();
  writeRecord(store, rec);

  // One IMMEDIATE transaction from reading what is home to the new status: two syncs at once (a window's poll
  // beside `lth sync`) take turns, and only the first to see every run home finishes the experiment.
  const { status } = store.db.transaction(() => {
    const planned = runsPlannedPerTrial(store, id);
    const have = store.runs.countByTrial(id);
    const missing = trials.filter((t) => (have.get(t.trial) ?? 0) < planned);
    const cur = store.experiments.get(id);
    let status: ExperimentStatus;
    let error: string | null = null;
    if (missing.length === 0) {
      // The same end as a local run: the winning ticket kept, trained weights dropped.
      if (cur.status !== 'completed') finish(store, id);
      status = 'completed';
    } else if (missing.some((t) => ACTIVE.includes(t.state))) {
      status = 'running';
    } else {
      const why = missing.map((t) => `trial ${t.trial} ${t.state === 'completed' ? 'ended without all its runs' : t.state}${t.jobId ? ` (job ${t.jobId})` : ''}${t.taskError && !STOPPED_BY_SLURM.includes(t.state) ? `: ${t.taskError}` : ''}`);
      // Failed only when a task itself exited with an error; one Slurm stopped (or that vanished) is resumable as is.
      status = missing.some((t) => t.state === 'failed') ? 'failed' : 'interrupted';
      error = `${why.join('; ')}; ${missing.length} trial(s) missing: lth resume ${id} resubmits them`;
    }
    if (cur.status !== status || cur.error !== error) store.experiments.setStatus(id, status, error);
    return { status };
  }).immediate();
  return {
    experimentId: id,
    status,
    warning,
    runsAdded: trials.reduce((a, t) => a + t.runsAdded, 0),
    masksAdded: trials.reduce((a, t) => a + t.masksAdded, 0),
    weightsAdded: trials.reduce((a, t) => a + t.weightsAdded, 0),
    trials,
  };
}

/**
 * `lth resume` of a Slurm experiment: merges what came home, then resubmits only the trials that are neither
 * finished nor still waiting or running. Each continues from its own task file (runs, checkpoints).
 */
export function resumeOnSlurm(store: Store, id: string): { jobId: string; trials: number[] } {
  const report = syncExperiment(store, id);
  if (report.status === 'completed') throw new StoreError(`experiment ${id} has already completed`, 'conflict');
  const planned = runsPlannedPerTrial(store, id);
  const have = store.runs.countByTrial(id);
  const todo = report.trials.filter((t) => (have.get(t.trial) ?? 0) < planned && !ACTIVE.includes(t.state)).map((t) => t.trial);
  if (todo.length === 0) throw new StoreError(`experiment ${id}: every missing trial is still waiting or running on Slurm`, 'conflict');
  return submitTrials(store, id, todo);
}

/** Cancels the experiment's jobs that Slurm still knows; the next sync marks it interrupted. */
export function cancelOnSlurm(store: Store, id: string): void {
  const rec = need(store, id);
  for (const j of rec.jobs) scancel(j.jobId);
}

/**
 * The trial states, asked of Slurm when `live` or while a task was last seen waiting or running (it may have been
 * exiting when the last run came home; otherwise "RUNNING" would stay on show for good). At most every few seconds,
 * answered or not: a window asks often, and a controller that does not answer costs a timeout.
 */
function currentStates(store: Store, id: string, live: boolean): SlurmRecord {
  const rec = need(store, id);
  const unsettled = Object.values(rec.states).some((s) => s && ACTIVE.includes(s.state));
  const now = Date.now();
  if (!(live || unsettled) || now - (lastAsked.get(id) ?? 0) <= 5000 || (rec.checkedAt && now - Date.parse(rec.checkedAt) <= 5000)) return rec;
  lastAsked.set(id, now);
  try {
    return refreshStates(store, id);
  } catch {
    // An unreachable controller leaves the last known states on show.
    return rec;
  }
}

/**
 * A running Slurm experiment whose tasks have all ended gets its final status whenever anyone looks (lth experiments
 * list or show, a window), not only at the next `lth sync`: what came home is merged and the status set as sync sets
 * it (failed with the task's error, interrupted when Slurm stopped a task, or completed). A task still waiting or
 * running, or a controller that does not answer, leaves it running.
 */
export function settleEnded(store: Store, id: string): void {
  if (!isOnSlurm(store, id) || store.experiments.get(id).status !== 'running') return;
  const rec = currentStates(store, id, true);
  if (rec.jobs.length === 0 || Object.values(rec.states).some((s) => s && ACTIVE.includes(s.state))) return;
  try {
    syncExperiment(store, id, { queryCluster: false });
  } catch (e) {
    // Results that cannot come home (refused, unreadable) end it too, with why, rather than leave it running.
    if (store.experiments.get(id).status === 'running') store.experiments.setStatus(id, 'failed', `every task has ended, but ${(e as Error).message}`);
  }
}

/** The per-trial view the lab shows; `live` asks Slurm first (a few ms on a login node). */
export function slurmInfo(store: Store, id: string, live = false): SlurmExperimentInfo | null {
  if (!isOnSlurm(store, id)) return null;
  const rec = currentStates(store, id, live);
  const spec = store.experiments.spec(id);
  const planned = runsPlannedPerTrial(store, id);
  const have = store.runs.countByTrial(id);
  const trials: SlurmTrialInfo[] = Array.from({ length: spec.trials }, (_, t) => {
    const s = rec.states[t];
    const synced = have.get(t) ?? 0;
    // Every run of the trial is home: the task is done for the lab even while Slurm still shows it exiting.
    const home = synced >= planned && (s?.state === 'running' || s?.state === 'pending' || s?.state === 'submitted' || s?.state === 'unknown');
    return {
      trial: t,
      state: home ? 'completed' : (s?.state ?? 'not-submitted'),
      slurmState: s?.slurmState ?? null,
      jobId: s?.jobId ?? null,
      detail: home ? `all runs home; Slurm last said ${s?.slurmState ?? s?.state}` : (s?.detail ?? null),
      error: home || s?.state !== 'failed' ? null : (s.error ?? null),
      runsSynced: synced,
      runsPlanned: planned,
    };
  });
  return { folder: rec.folder, jobScript: join(rec.folder, JOB_SCRIPT), jobs: rec.jobs.map((j) => j.jobId), trials, checkedAt: rec.checkedAt, syncedAt: rec.syncedAt };
}

/** Slurm experiments this store is waiting for: what a window or server polls. */
export function activeSlurmExperiments(store: Store): string[] {
  return store.experiments.list().filter((e) => e.status === 'running' && isOnSlurm(store, e.id)).map((e) => e.id);
}
