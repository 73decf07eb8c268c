import type { LabEvent } from '../../shared/events';
import { SlurmSubmitSchema } from '../../shared/slurm';
import type { BackendChoice } from '../engine/backend';
import type { LabRuntime } from '../services';
import type { LabServices } from '../services/types';
import type { Store } from '../store';
import { activeSlurmExperiments, cancelOnSlurm, resumeOnSlurm, settleEnded, slurmInfo, submitNewExperiment, syncExperiment } from './index';
import { loadProfile, mergeProfiles } from './profile';
import { StoreError } from '../store';
import { isOnSlurm, removeRecord } from './record';

/** Seconds between background syncs in a window or server (LTH_SLURM_POLL_SECONDS; default 30). */
export function pollSeconds(): number {
  const v = Number(process.env.LTH_SLURM_POLL_SECONDS);
  return Number.isFinite(v) && v > 0 ? v : 30;
}

/**
 * Makes the lab's services Slurm-aware, for every front door: the experiment detail carries the per-trial Slurm
 * state, resume resubmits the missing trials, cancel scancels. With `poll` (a window or `lth serve`), experiments
 * running on Slurm are synced in the background while the process lives, so results appear as they come home.
 */
export function attachSlurm(runtime: LabRuntime, store: Store, emit: (e: LabEvent) => void, poll: boolean): void {
  const ex = runtime.experiments;
  const list = ex.list.bind(ex);
  const get = ex.get.bind(ex);
  const settle = (experimentId: string) => {
    try {
      settleEnded(store, experimentId);
      const now = store.experiments.get(experimentId);
      if (now.status !== 'running') emit({ type: 'status', experimentId, status: now.status, error: now.error });
    } catch {
      // Looking must not fail because one experiment could not be settled: it stays as it was.
    }
  };
  const resume = ex.resume.bind(ex);
  const cancel = ex.cancel.bind(ex);
  const pause = ex.pause.bind(ex);
  const del = ex.delete.bind(ex);
  ex.delete = (id) => {
    if (isOnSlurm(store, id) && store.experiments.get(id).status === 'running') {
      throw new StoreError(`experiment ${id} is running on Slurm: cancel it before deleting it`, 'conflict');
    }
    del(id);
    removeRecord(store, id);
  };
  // Whoever looks sees a finished job array's true status: a failed task makes it failed, with its reason.
  ex.list = () => {
    for (const e of list()) if (e.status === 'running' && isOnSlurm(store, e.id)) settle(e.id);
    return list();
  };
  ex.get = (id) => {
    if (isOnSlurm(store, id) && store.experiments.find(id)?.status === 'running') settle(id);
    const d = get(id);
    return isOnSlurm(store, id) ? { ...d, slurm: slurmInfo(store, id, d.status === 'running') } : d;
  };
  ex.resume = (id) => {
    if (!isOnSlurm(store, id)) return resume(id);
    resumeOnSlurm(store, id);
    emit({ type: 'status', experimentId: id, status: 'running', error: null });
  };
  // A window offers Pause on any running experiment: on Slurm, say what to do instead of "not running in this process".
  ex.pause = (id) => {
    if (!isOnSlurm(store, id)) return pause(id);
    throw new StoreError(`experiment ${id} runs on Slurm, which cannot pause a job array: Cancel stops its jobs (finished runs are kept) and Resume resubmits the missing trials`, 'conflict');
  };
  ex.cancel = (id) => {
    if (!isOnSlurm(store, id)) return cancel(id);
    cancelOnSlurm(store, id);
    store.experiments.setStatus(id, 'cancelled');
    emit({ type: 'status', experimentId: id, status: 'cancelled', error: null });
  };
  if (!poll) return;
  let busy = false;
  const timer = setInterval(() => {
    if (busy || !store.db.open) return;
    busy = true;
    try {
      for (const id of activeSlurmExperiments(store)) {
        try {
          const r = syncExperiment(store, id);
          if (r.status !== 'running' || r.runsAdded > 0) emit({ type: 'status', experimentId: id, status: r.status, error: store.experiments.get(id).error });
        } catch (e) {
          // One experiment's refused results or an unreachable controller must not stop the others' sync.
          emit({ type: 'status', experimentId: id, status: 'running', error: `sync: ${(e as Error).message}` });
        }
      }
    } finally {
      busy = false;
    }
  }, pollSeconds() * 1000);
  timer.unref();
}

/**
 * The `slurm` part of LabServices (channels slurm.submit and slurm.sync): a window or the browser mode on a login
 * node submits an experiment and pulls its results. A request sets resources only; #SBATCH and shell lines come
 * from a named profile the machine's owner wrote, so no window can put commands into a job script.
 */
export function slurmServices(store: Store, emit: (e: LabEvent) => void, backend: BackendChoice): LabServices['slurm'] {
  return {
    submit: (req) => {
      const r = SlurmSubmitSchema.parse(req);
      const named = r.profile ? loadProfile(r.profile, store.dataDir) : undefined;
      const profile = mergeProfiles(named, r.resources);
      const out = submitNewExperiment(store, r.spec, profile, backend);
      emit({ type: 'status', experimentId: out.id, status: 'running', error: null });
      return store.experiments.get(out.id);
    },
    sync: (id) => {
      const r = syncExperiment(store, id);
      emit({ type: 'status', experimentId: id, status: r.status, error: store.experiments.get(id).error });
      return { experimentId: id, status: r.status, runsAdded: r.runsAdded, masksAdded: r.masksAdded, weightsAdded: r.weightsAdded, warning: r.warning };
    },
  };
}
