import type { LabEvent } from '../../shared/events';
import type { LabRuntime } from '../services';
import type { Store } from '../store';
import { activeSlurmExperiments, cancelOnSlurm, resumeOnSlurm, slurmInfo, syncExperiment } from './index';
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
  const get = ex.get.bind(ex);
  const resume = ex.resume.bind(ex);
  const cancel = ex.cancel.bind(ex);
  const del = ex.delete.bind(ex);
  ex.delete = (id) => {
    if (isOnSlurm(store, id) && store.experiments.get(id).status === 'running') {
      throw new StoreError(`experiment ${id} is running on Slurm: cancel it before deleting it`, 'conflict');
    }
    del(id);
    removeRecord(store, id);
  };
  ex.get = (id) => {
    const d = get(id);
    return isOnSlurm(store, id) ? { ...d, slurm: slurmInfo(store, id, d.status === 'running') } : d;
  };
  ex.resume = (id) => {
    if (!isOnSlurm(store, id)) return resume(id);
    resumeOnSlurm(store, id);
    emit({ type: 'status', experimentId: id, status: 'running', error: null });
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
