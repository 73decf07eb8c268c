import type { LabEvent } from '../../shared/events';
import type { Store } from '../store';
import type { ProgressLog } from '../store/progress';

/**
 * Another process on the same data directory (the CLI, a second window, a Slurm job) writes the same
 * store. The watcher turns what it wrote into this process's events, so an open window shows those
 * experiments and their progress within a second or two, as if it had started them:
 * - SQLite's data_version changes when another connection commits: experiments whose status, rounds or
 *   error changed (or that are new, or gone) get a 'status' event;
 * - progress files (see ProgressLog) that changed get a 'progress' event with their latest report.
 * Experiments this process runs itself are skipped: their events are already live.
 */
export function watchStore(
  store: Store,
  progress: ProgressLog,
  emit: (e: LabEvent) => void,
  ownsExperiment: (id: string) => boolean,
  intervalMs = 1000,
): () => void {
  let dataVersion = readDataVersion(store);
  const seen = new Map<string, string>(store.experiments.list().map((e) => [e.id, `${e.status}|${e.roundsDone}|${e.error ?? ''}`]));
  const stamps = progress.scan();

  const tick = () => {
    try {
      const v = readDataVersion(store);
      if (v !== dataVersion) {
        dataVersion = v;
        const now = store.experiments.list();
        const ids = new Set<string>();
        for (const e of now) {
          ids.add(e.id);
          const sig = `${e.status}|${e.roundsDone}|${e.error ?? ''}`;
          if (seen.get(e.id) === sig) continue;
          seen.set(e.id, sig);
          if (!ownsExperiment(e.id)) emit({ type: 'status', experimentId: e.id, status: e.status, error: e.error });
        }
        for (const id of [...seen.keys()]) {
          if (ids.has(id)) continue;
          seen.delete(id);
          // Deleted elsewhere: 'cancelled' makes listeners refresh their lists, where it is gone.
          emit({ type: 'status', experimentId: id, status: 'cancelled', error: null });
        }
      }
      for (const [id, mtime] of progress.scan()) {
        if (stamps.get(id) === mtime) continue;
        stamps.set(id, mtime);
        if (ownsExperiment(id)) continue;
        const p = progress.read(id);
        if (p?.latest && p.pid !== process.pid) emit(p.latest);
      }
    } catch {
      // A store closed under the timer (shutdown) or a busy moment: try again next tick.
    }
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

function readDataVersion(store: Store): number {
  return store.db.pragma('data_version', { simple: true }) as number;
}
