import type { ExperimentStatus } from '../../shared/results';
import { initBackend, type BackendChoice } from '../engine/backend';
import type { FromWorker, ToWorker } from '../services/child-runner';
import { runExperiment } from '../services/run-experiment';
import { openStore } from '../store';
import type { ToTrainer } from '../engine/pool-protocol';
import { hostTrainer } from './trainer-host';
import { windowTrainer, type MainPortLike } from '../electron/gpu-trainer/utility';

/**
 * A training process: Electron's utilityProcess (messages on process.parentPort) or a Node child process
 * (process.send). It opens the same database (WAL lets the UI process read while it writes) and runs one
 * experiment, streaming events back.
 */
interface ParentPort {
  on(event: 'message', listener: (e: { data: unknown; ports?: MainPortLike[] }) => void): void;
  postMessage(message: unknown): void;
}
/** In the desktop app, main may hand over a port to its WebGPU trainer window with the 'run' message. */
let windowPort: MainPortLike | null = null;
const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;

function send(message: FromWorker): void {
  if (parentPort) parentPort.postMessage(message);
  else process.send?.(message);
}

function onMessage(listener: (m: ToWorker | ToTrainer) => void): void {
  if (parentPort)
    parentPort.on('message', (e) => {
      windowPort = e.ports?.[0] ?? windowPort;
      listener(e.data as ToWorker);
    });
  else process.on('message', (m) => listener(m as ToWorker));
}

// The same entry serves two roles: an experiment runner (for the app's queue) and a pool trainer (one run at a time).
const trainer = hostTrainer((m) => process.send?.(m));

const controller = new AbortController();
let stopAs: ExperimentStatus = 'interrupted';

onMessage((m) => {
  if (m.type === 'trainer-init' || m.type === 'train' || m.type === 'train-abort') {
    role = 'trainer';
    trainer(m);
  } else if (m.type === 'stop') {
    stopAs = m.status;
    controller.abort();
  } else if (m.type === 'run') {
    role = 'experiment';
    void run(m);
  }
});
let role: 'experiment' | 'trainer' | null = null;
// The parent went away (app quit, server killed): an experiment stops and records itself as interrupted;
// a pool trainer has nobody to report to and just exits.
process.on('disconnect', () => {
  controller.abort();
  if (role === 'trainer') process.exit(0);
});

async function run(m: Extract<ToWorker, { type: 'run' }>): Promise<void> {
  let status: ExperimentStatus = 'failed';
  const store = openStore({ dataDir: m.home, dbPath: m.dbPath });
  try {
    const gpu = windowPort ? windowTrainer(windowPort, m.backendDetail) : null;
    const backend = gpu?.backend ?? (await initBackend(m.backend as BackendChoice));
    status = await runExperiment(store, m.experimentId, {
      backend,
      executor: gpu?.executor,
      // This file is also the pool's trainer entry: the experiment process forks copies of itself.
      pool: m.workers > 1 ? { size: m.workers, entry: __filename, backend: m.backend } : undefined,
      signal: controller.signal,
      stopStatus: () => stopAs,
      onEvent: (event) => send({ type: 'event', event }),
    });
  } catch (err) {
    store.experiments.setStatus(m.experimentId, 'failed', (err as Error).message);
  } finally {
    store.close();
    send({ type: 'done', status });
    setTimeout(() => process.exit(0), 100);
  }
}
