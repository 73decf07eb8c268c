import { existsSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { sameLayerInfo } from '../../shared/layers';
import type { RunResult } from '../../shared/results';
import { initBackend, TFJS_VERSION, type BackendChoice } from '../engine/backend';
import { loadDataset, type DatasetRef } from '../engine/data';
import { inlineExecutor, type Executor } from '../engine/executor';
import { runImp } from '../engine/imp';
import { runAtInit } from '../engine/at-init';
import { planNetwork } from '../engine/network';
import { processPoolExecutor } from '../engine/pool-executor';
import { AbortedError } from '../engine/trainer';
import type { ExperimentSink } from '../engine/types';
import { checkpointEveryMs } from '../services/run-experiment';
import { LTH_LAB_VERSION } from '../services/version';
import { openStore, type Store } from '../store';
import { publishedFile, readManifest, taskFile, type Manifest } from './folder';

/** Exit status of a task stopped by SIGTERM (scancel, or the time limit's early signal): Slurm records it as not completed. */
export const EXIT_TASK_STOPPED = 143;

export function datasetRefOf(folder: string, m: Manifest): DatasetRef {
  return {
    id: m.dataset.id,
    source: m.dataset.source,
    folder: m.dataset.folder === null ? '' : join(folder, m.dataset.folder),
    hash: m.dataset.hash,
    name: m.dataset.name,
  };
}

/**
 * A consistent copy of what the task has committed, swapped in with one rename: `lth sync` only ever opens
 * this file, read-only, so it never sees a half-written store whatever the task is doing.
 */
export function publish(store: Store, folder: string, trial: number): void {
  const target = publishedFile(folder, trial);
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
  rmSync(tmp, { force: true });
  store.db.prepare('VACUUM INTO ?').run(tmp);
  renameSync(tmp, target);
}

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}

/**
 * One Slurm array task: trains trial `trial` of the experiment in `folder` against its own SQLite file, continuing
 * from that file's runs and checkpoints when an earlier attempt stopped. Returns the process exit status.
 */
export async function runSlurmTask(folder: string, trial: number, opts: { backend?: BackendChoice; workers?: number; workerEntry: string }): Promise<number> {
  const m = readManifest(folder);
  if (!Number.isSafeInteger(trial) || trial < 0 || trial >= m.spec.trials) {
    throw new Error(`trial ${trial} is not a trial of experiment ${m.experimentId} (it has trials 0-${m.spec.trials - 1})`);
  }
  const ref = datasetRefOf(folder, m);
  if (ref.source !== 'builtin' && !existsSync(ref.folder)) throw new Error(`the dataset copy ${ref.folder} is missing from the experiment folder`);
  // Loading checks the files against the recorded hash: a task never trains on other data than the experiment's.
  const data = loadDataset(ref);
  const plan = planNetwork(m.spec.network, data.shape, data.numClasses);
  if (!sameLayerInfo(plan.layers, m.layers)) throw new Error(`the network built here differs from the layers in experiment.json`);

  const store = openStore({ dbPath: taskFile(folder, trial), dataDir: folder });
  const controller = new AbortController();
  const onTerm = (sig: string) => {
    log(`${sig}: stopping; runs in flight continue from their last checkpoint when resubmitted`);
    controller.abort();
  };
  const onSigterm = () => onTerm('SIGTERM');
  const onSigint = () => onTerm('SIGINT');
  process.on('SIGTERM', onSigterm);
  process.on('SIGINT', onSigint);
  let executor: Executor | null = null;
  try {
    // One writer, possibly over NFS: a rollback journal needs no shared memory between hosts, WAL would.
    store.db.pragma('journal_mode = DELETE');
    // The task's store holds this one experiment under the lab's id, with the spec and dataset it trains on.
    store.experiments.ensure(m.experimentId, {
      spec: m.spec,
      name: m.name,
      datasetHash: data.hash,
      versions: { lthLab: LTH_LAB_VERSION, tfjs: TFJS_VERSION },
      layers: m.layers,
    });
    const backendChoice = (opts.backend && opts.backend !== 'auto' ? opts.backend : m.backend) as BackendChoice;
    const backend = await initBackend(backendChoice);
    const id = m.experimentId;
    store.experiments.markRunning(id, { backend: backend.name, ownerPid: process.pid, versions: { lthLab: LTH_LAB_VERSION, tfjs: TFJS_VERSION } });
    const resume = store.resumeState(id);
    const mine = resume.runs.filter((r) => r.trial === trial).length;
    log(`experiment ${id} trial ${trial} on ${backend.name} (${backend.detail}); ${mine} run(s) already stored, ${resume.checkpoints.size} checkpoint(s)`);

    const inner = store.sinkFor(id);
    const sink: ExperimentSink = {
      ...inner,
      saveRun: (r: RunResult) => {
        inner.saveRun(r);
        publish(store, folder, trial);
      },
    };
    // With several CPUs per task, the trial's controls train beside its ticket runs in worker processes.
    const cpus = Number(process.env.SLURM_CPUS_PER_TASK) || 1;
    const size = Math.min(opts.workers ?? cpus, 1 + m.spec.controls.length);
    executor = size > 1 ? processPoolExecutor({ size, entry: opts.workerEntry, dataset: ref, backend: backendChoice }) : inlineExecutor(data);
    publish(store, folder, trial);
    // IMP or pruning at initialisation: the same context; each honours the one-trial filter.
    const driver = m.spec.pruning.method === 'magnitude' ? runImp : runAtInit;
    await driver({
      spec: m.spec,
      data,
      executor,
      sink,
      resume,
      trials: [trial],
      signal: controller.signal,
      checkpointEveryMs: checkpointEveryMs(),
      onRun: (r) => log(`trial ${r.trial} round ${r.round} ${r.variant}: test accuracy ${(r.testAccuracy * 100).toFixed(2)}% at ${(r.weightsRemaining * 100).toFixed(1)}% weights`),
    });
    store.experiments.setStatus(id, 'completed');
    publish(store, folder, trial);
    log(`trial ${trial} completed`);
    return 0;
  } catch (err) {
    const stopped = err instanceof AbortedError || controller.signal.aborted;
    try {
      store.experiments.setStatus(m.experimentId, stopped ? 'interrupted' : 'failed', stopped ? null : (err as Error).message);
      publish(store, folder, trial);
    } catch {
      // The error that stopped the task matters more.
    }
    if (stopped) {
      log(`trial ${trial} stopped; resubmit it with: lth resume ${m.experimentId}`);
      return EXIT_TASK_STOPPED;
    }
    throw err;
  } finally {
    process.off('SIGTERM', onSigterm);
    process.off('SIGINT', onSigint);
    await executor?.close();
    store.close();
  }
}
