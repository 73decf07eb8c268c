import { PRESETS } from '../../shared/presets';
import { parseSpec, type ExperimentSpecInput } from '../../shared/spec';
import { assertSpecFitsDataset } from '../../shared/spec-dataset';
import { withEarlyBirdRule } from '../../shared/analyses/early-bird';
import type { ExperimentStatus } from '../../shared/results';
import { availableParallelism, cpus } from 'node:os';
import { describeBackend, initBackend, TFJS_VERSION } from '../engine/backend';
import type { BackendInfo } from '../engine/types';
import { planNetwork } from '../engine/network';
import { openStore, StoreError, type Store } from '../store';
import { childRunner, forkSpawner } from './child-runner';
import { datasetSamples, ensureBuiltinDatasets, importDataset, resolveDatasetId } from './datasets';
import { EventBus } from './event-bus';
import { join } from 'node:path';
import { ProgressLog } from '../store/progress';
import { watchStore } from './store-watch';
import { denseBaseline, denseBaselineSpec, findDenseBaseline } from './baseline';
import { roundMaskHeatmap } from './round-mask';
import { ticketWeightHistogram } from './weight-histogram';
import { exportsService } from './exports';
import { ExperimentQueue, type Runner } from './queue';
import { markDeadRunsInterrupted, runningElsewhere } from './recovery';
import { runExperiment } from './run-experiment';
import { attachSlurm, slurmServices } from '../slurm/services';
import { maskOverlap, pixelHeatmap, retrainSpec, sameLayers } from './tickets';
import { overlapMatrix } from './masks';
import { stabilitySourceSpec, stabilitySpecInput } from './stability';
import type { LabServices } from './types';
import { LTH_LAB_VERSION } from './version';
import type { LabServicesOptions } from './worker-handle';

export type { LabServices } from './types';
export type { LabServicesOptions } from './worker-handle';
export { LTH_LAB_VERSION } from './version';

/** LabServices plus what only a front door's own process needs: waiting, shutting down, the store itself. */
export interface LabRuntime extends LabServices {
  readonly store: Store;
  /** The backend this process trains with; loads it on first use when the services were opened with lazyBackend. */
  backend(): Promise<BackendInfo>;
  waitFor(experimentId: string): Promise<ExperimentStatus>;
  /** Stops the running experiment as 'interrupted' (kept, resumable). */
  interruptAll(): Promise<void>;
  close(): Promise<void>;
}

export async function createLabServices(opts: LabServicesOptions = {}): Promise<LabRuntime> {
  const store = openStore({ dataDir: opts.home, dbPath: opts.dbPath, generatedBy: `LTH Lab ${LTH_LAB_VERSION}` });
  try {
    // With child runners this process only reports the backend; the children train (and hold a GPU device).
    let backend: BackendInfo | null =
      opts.backendInfo ?? (opts.lazyBackend ? null : opts.runner === 'child' ? await describeBackend(opts.backend ?? 'auto') : await initBackend(opts.backend ?? 'auto'));
    // Asked again before every inline experiment: initBackend returns the loaded backend at once, and replaces a
    // WebGPU device that was lost (a resume in the same process then trains on a fresh one).
    const ensureBackend = async () => opts.backendInfo ?? (backend = await initBackend(opts.backend ?? 'auto'));
    ensureBuiltinDatasets(store);
    markDeadRunsInterrupted(store);
    const workers = Math.max(1, Math.floor(opts.workers ?? availableParallelism()));
    const bus = new EventBus();
    // Progress is also written to <dataDir>/progress, so other processes (and a reload) see it.
    const progress = new ProgressLog(join(store.dataDir, 'progress'));
    const emit = (e: Parameters<EventBus['emit']>[0]) => {
      progress.record(e);
      bus.emit(e);
    };
    let stopWatching: (() => void) | null = null;

    let runner: Runner;
    if (opts.runner === 'child') {
      if (!opts.workerEntry) throw new Error("createLabServices: runner 'child' needs workerEntry");
      runner = childRunner(store, { entry: opts.workerEntry, spawn: opts.spawnWorker ?? forkSpawner, backend: opts.backend ?? 'auto', workers });
    } else {
      const pool = workers > 1 && opts.workerEntry ? { size: workers, entry: opts.workerEntry, backend: opts.backend ?? 'auto' } : undefined;
      runner = async (id, control) => runExperiment(store, id, { backend: await ensureBackend(), pool, ...control });
    }
    const queue = new ExperimentQueue(store, runner, emit);
    // A window or server picks up what was waiting when it last closed; the CLI runs only what it is told to.
    if (opts.runner === 'child') {
      // Not one that another live process (lth run in a terminal) holds in its own queue.
      for (const e of store.experiments.list()) if (e.status === 'queued' && runningElsewhere(store, e.id) === null) queue.enqueue(e.id);
    }

    const createExperiment = (input: ExperimentSpecInput) => {
      const { spec, dataset } = store.datasets.resolveSpec(withEarlyBirdRule(parseSpec(input)));
      assertSpecFitsDataset(spec, dataset);
      const plan = planNetwork(spec.network, dataset.shape, dataset.numClasses);
      if (spec.sourceTicketId) {
        const t = store.tickets.load(spec.sourceTicketId);
        if (!sameLayers(t.layers, plan.layers)) throw new StoreError(`ticket ${spec.sourceTicketId} does not fit dataset '${spec.dataset}'`, 'conflict');
      }
      const summary = store.experiments.create({
        spec,
        datasetHash: dataset.hash,
        versions: { lthLab: LTH_LAB_VERSION, tfjs: TFJS_VERSION },
        layers: plan.layers,
        status: 'queued',
      });
      queue.enqueue(summary.id);
      return store.experiments.get(summary.id);
    };

    const runtime: LabRuntime = {
      store,
      backend: ensureBackend,
      system: () => {
        if (!backend) throw new Error('system(): the backend is loaded lazily and has not been used yet');
        return {
        version: LTH_LAB_VERSION,
        tfjsVersion: TFJS_VERSION,
        backend: backend.name,
        backendDetail: backend.detail,
        backendNote: backend.note ?? null,
        adapter: backend.adapter ?? null,
        dataDir: store.dataDir,
        databasePath: store.dbPath,
        cpus: cpus().length,
        };
      },
      presets: () => PRESETS,
      datasets: {
        list: () => store.datasets.list(),
        get: (id) => store.datasets.resolve(id),
        import: (kind, folder, name) => importDataset(store, kind, folder, name),
        samples: async (id, perClass, split) => datasetSamples(store, id, perClass, split),
      },
      experiments: {
        list: () => store.experiments.list(),
        get: (id) => ({ ...store.experimentDetail(id), partialRuns: progress.partialRuns(id), denseBaseline: denseBaseline(store, id) }),
        create: createExperiment,
        delete: (id) => {
          if (queue.runningId === id || runningElsewhere(store, id) !== null) {
            throw new StoreError(`experiment ${id} is running: cancel it before deleting it`, 'conflict');
          }
          queue.stop(id, 'cancelled');
          store.experiments.delete(id);
          progress.remove(id);
        },
        cancel: (id) => {
          const owner = queue.has(id) ? null : runningElsewhere(store, id);
          if (owner !== null) {
            // Started by another process (lth run in a terminal, another window): only that process can stop it.
            throw new StoreError(`experiment ${id} is running in another process (pid ${owner}, e.g. lth run in a terminal): stop it there (Ctrl-C); once interrupted it can be cancelled or resumed here`, 'conflict');
          }
          if (!queue.stop(id, 'cancelled')) {
            const e = store.experiments.get(id);
            if (e.status === 'interrupted' || e.status === 'paused') store.experiments.setStatus(id, 'cancelled');
          }
        },
        pause: (id) => {
          if (!queue.stop(id, 'paused')) {
            const owner = runningElsewhere(store, id);
            throw new StoreError(
              owner !== null
                ? `experiment ${id} is running in another process (pid ${owner}, e.g. lth run in a terminal): pause or stop it there`
                : `experiment ${id} is not running or queued in this process`,
              'conflict',
            );
          }
        },
        maskHeatmap: (id, trial, round) => roundMaskHeatmap(store, id, trial, round),
        update: (id, u) => {
          const s = store.experiments.update(id, u);
          bus.emit({ type: 'status', experimentId: id, status: s.status, error: s.error });
          return s;
        },
        rename: (id, name) => {
          const s = store.experiments.rename(id, name);
          bus.emit({ type: 'status', experimentId: id, status: s.status, error: s.error });
          return s;
        },
        analyzeStability: (req) => {
          const src = { ticketId: req.ticketId, experimentId: req.experimentId };
          return createExperiment(stabilitySpecInput(store, stabilitySourceSpec(store, src), src, { name: req.name, interpolationPoints: req.interpolationPoints, threshold: req.threshold }));
        },
        resume: (id) => {
          const e = store.experiments.get(id);
          const owner = runningElsewhere(store, id);
          if (owner !== null && queue.runningId !== id) throw new StoreError(`experiment ${id} is running in process ${owner}: it cannot be resumed twice`, 'conflict');
          if (e.status === 'completed') throw new StoreError(`experiment ${id} has already completed`, 'conflict');
          queue.enqueue(id);
        },
      },
      tickets: {
        list: () => store.tickets.list(),
        get: (id) => store.tickets.get(id),
        save: (experimentId, trial, round, name) => {
          // The winning ticket is kept automatically: saving that round again names it rather than copying it.
          const existing = store.tickets.listForExperiment(experimentId).find((t) => t.trial === trial && t.round === round);
          if (existing) return name?.trim() ? store.tickets.update(existing.id, { name }) : existing;
          return store.tickets.save(experimentId, trial, round, name);
        },
        update: (id, u) => store.tickets.update(id, u),
        delete: (id) => store.tickets.delete(id),
        export: async (id, folder) => store.exportTicket(id, folder),
        import: async (folder) => store.importTicket(folder),
        retrain: (req) => {
          const spec = retrainSpec(store, req.datasetId ? { ...req, datasetId: resolveDatasetId(store, req.datasetId) } : req);
          // A transfer is judged against the dense network of the target dataset: train it first unless one exists.
          const target = store.datasets.get(spec.dataset);
          const ticketDataset = store.tickets.get(req.ticketId).datasetId;
          if (req.baseline !== false && spec.dataset !== ticketDataset && !findDenseBaseline(store, parseSpec(spec))) {
            createExperiment(denseBaselineSpec(spec, target.name));
          }
          return createExperiment(spec);
        },
        maskOverlap: (a, b) => maskOverlap(store, a, b),
        overlapMatrix: (refs) => overlapMatrix(store, refs),
        pixelHeatmap: (id) => pixelHeatmap(store, id),
        weightHistogram: (id) => ticketWeightHistogram(store, id),
      },
      slurm: slurmServices(store, emit, opts.backend ?? 'auto'),
      exports: exportsService(store),
      subscribe: (listener) => {
        // Front doors that listen (a window, the server) also hear what other processes do to the store.
        stopWatching ??= watchStore(store, progress, (e) => bus.emit(e), (id) => queue.has(id));
        return bus.subscribe(listener);
      },
      waitFor: (id) => queue.waitFor(id),
      interruptAll: () => queue.interruptAll(),
      close: async () => {
        stopWatching?.();
        await queue.interruptAll();
        store.close();
      },
    };
    // Slurm experiments (src/main/slurm): cluster state in the detail, resume/cancel on the cluster, background sync.
    attachSlurm(runtime, store, emit, opts.runner === 'child');
    return runtime;
  } catch (err) {
    store.close();
    throw err;
  }
}
