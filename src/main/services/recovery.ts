import type { Store } from '../store';
import { isOnSlurm } from '../slurm/record';

/**
 * A live owner process counts as running while its heartbeat is younger than this. Generous on purpose: an
 * inline run blocks its event loop during evaluation, which for a conv net on CPU can take minutes, and
 * a process id that is alive makes a false 'dead' far costlier (a second resume) than a late 'interrupted'.
 */
const STALE_HEARTBEAT_MS = 10 * 60_000;

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The live process that trains a 'running' experiment right now, or holds a 'queued' one in its queue (another
 * process than this one: a queued experiment has no heartbeat, the process being alive is the test); else null.
 */
export function runningElsewhere(store: Store, id: string): number | null {
  const l = store.experiments.liveness(id);
  if (l.status === 'queued') return l.ownerPid !== null && l.ownerPid !== process.pid && processAlive(l.ownerPid) ? l.ownerPid : null;
  if (l.status !== 'running' || l.ownerPid === null) return null;
  const fresh = l.heartbeatAt !== null && Date.now() - Date.parse(l.heartbeatAt) < STALE_HEARTBEAT_MS;
  return processAlive(l.ownerPid) && fresh ? l.ownerPid : null;
}

/**
 * An experiment left 'running' by a process that died (killed, crashed, machine off) is interrupted:
 * it shows as such and can be resumed. One still owned by a live process (the CLI beside the app) is left alone.
 */
export function markDeadRunsInterrupted(store: Store): string[] {
  const fixed: string[] = [];
  for (const e of store.experiments.list()) {
    // A Slurm experiment runs on the cluster, owned by no local process: `lth sync` reads its state from Slurm.
    if (e.status === 'running' && runningElsewhere(store, e.id) === null && !isOnSlurm(store, e.id)) {
      store.experiments.setStatus(e.id, 'interrupted', 'the process running it stopped before it finished');
      fixed.push(e.id);
    } else if (e.status === 'queued') {
      const owner = store.experiments.liveness(e.id).ownerPid;
      if (owner !== null && owner !== process.pid && !processAlive(owner)) {
        store.experiments.setStatus(e.id, 'interrupted', 'the process that queued it stopped before it started');
        fixed.push(e.id);
      }
    }
  }
  return fixed;
}
