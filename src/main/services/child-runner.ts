import { fork } from 'node:child_process';
import type { ExperimentStatus } from '../../shared/results';
import type { LabEvent } from '../../shared/events';
import type { Store } from '../store';
import type { Runner } from './queue';
import type { WorkerHandle, WorkerSpawner } from './worker-handle';

/** Messages between the queue and a training process. */
export type ToWorker =
  | { type: 'run'; experimentId: string; dbPath: string; home: string; backend: string; workers: number; backendDetail?: string }
  | { type: 'stop'; status: ExperimentStatus };
export type FromWorker = { type: 'event'; event: LabEvent } | { type: 'done'; status: ExperimentStatus };

/** How long a worker may take to store its stop before it is killed. */
const STOP_GRACE_MS = 15_000;

export const forkSpawner: WorkerSpawner = (entry) => {
  const child = fork(entry, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const handle: WorkerHandle = {
    send: (m) => {
      if (child.connected) child.send(m as object);
    },
    onMessage: (l) => child.on('message', l),
    onExit: (l) => child.on('exit', (code) => l(code)),
    kill: () => child.kill('SIGKILL'),
  };
  return handle;
};

/** Each experiment trains in its own process, so the process serving the UI never blocks on training. */
export function childRunner(store: Store, opts: { entry: string; spawn: WorkerSpawner; backend: string; workers: number }): Runner {
  return (experimentId, control) =>
    new Promise<ExperimentStatus>((resolve) => {
      const worker = opts.spawn(opts.entry);
      let settled = false;
      const finish = (status: ExperimentStatus) => {
        if (settled) return;
        settled = true;
        resolve(status);
      };
      worker.onMessage((raw) => {
        const m = raw as FromWorker;
        if (m?.type === 'event') control.onEvent(m.event);
        else if (m?.type === 'done') finish(m.status);
      });
      worker.onExit((code) => {
        if (settled) return;
        // The process died without reporting (killed, out of memory): what it stored stays; resume continues.
        const status: ExperimentStatus = control.signal.aborted ? control.stopStatus() : 'interrupted';
        const error = control.signal.aborted ? null : `the training process exited unexpectedly (code ${code ?? 'signal'})`;
        store.experiments.setStatus(experimentId, status, error);
        control.onEvent({ type: 'status', experimentId, status, error });
        finish(status);
      });
      control.signal.addEventListener(
        'abort',
        () => {
          worker.send({ type: 'stop', status: control.stopStatus() } satisfies ToWorker);
          setTimeout(() => worker.kill(), STOP_GRACE_MS).unref();
        },
        { once: true },
      );
      worker.send({ type: 'run', experimentId, dbPath: store.dbPath, home: store.dataDir, backend: opts.backend, workers: opts.workers } satisfies ToWorker);
    });
}
