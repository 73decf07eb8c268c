import type { LabEvent } from '../../shared/events';
import type { ExperimentStatus } from '../../shared/results';
import { TFJS_VERSION } from '../engine/backend';
import type { Executor } from '../engine/executor';
import type { LoadedDataset } from '../engine/data/types';
import { inlineExecutor } from '../engine/executor';
import { runImp } from '../engine/imp';
import { runAtInit } from '../engine/at-init';
import { stabilityDriver } from './stability';
import { runSupermasks } from '../engine/supermask';
import { trialSeed } from '../engine/random';
import { initialWeights } from '../engine/weights';
import { planNetwork } from '../engine/network';
import { AbortedError } from '../engine/trainer';
import type { BackendInfo } from '../engine/types';
import type { Store } from '../store';
import { datasetRef } from './datasets';
import { loadDataset } from '../engine/data';
import { processPoolExecutor } from '../engine/pool-executor';
import { packingExecutor } from '../engine/packed/packed-executor';
import { packChoiceFromEnv, shouldPack } from '../engine/packed/policy';
import { sameLayers } from './tickets';
import { LTH_LAB_VERSION } from './version';
import { trainedVariants } from '../../shared/variants';

export interface RunExperimentOptions {
  backend: BackendInfo;
  signal?: AbortSignal;
  /** What an abort means: 'interrupted' (Ctrl-C, quit), 'paused' or 'cancelled'. */
  stopStatus?: () => ExperimentStatus;
  onEvent?: (event: LabEvent) => void;
  /** Train independent runs in this many processes (the bundled worker entry); one run at a time in-process when absent. */
  pool?: { size: number; entry: string; backend: string };
  /** Train through this executor instead (the desktop app's WebGPU worker behind a MessagePort). */
  executor?: (data: LoadedDataset) => Executor;
}

const HEARTBEAT_MS = 5000;

/** Long runs save their state this often; LTH_CHECKPOINT_SECONDS changes it (tests use a fraction of a second). */
export function checkpointEveryMs(): number {
  const fromEnv = Number(process.env.LTH_CHECKPOINT_SECONDS);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv * 1000 : 120_000;
}

/** LTH_CHECKPOINT_ITERATIONS=N also checkpoints every N iterations, independently of timing (tests rely on it). */
export function checkpointEveryIterations(): number | undefined {
  const fromEnv = Number(process.env.LTH_CHECKPOINT_ITERATIONS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : undefined;
}

/**
 * Runs (or resumes) one stored experiment to the end in this process. Every finished run is in the store
 * the moment it finishes; on stop or failure the status says why and `resume` picks up from there.
 */
export async function runExperiment(store: Store, id: string, opts: RunExperimentOptions): Promise<ExperimentStatus> {
  const emit = (e: LabEvent) => opts.onEvent?.(e);
  const setStatus = (status: ExperimentStatus, error: string | null = null) => {
    store.experiments.setStatus(id, status, error);
    emit({ type: 'status', experimentId: id, status, error });
  };
  const spec = store.experiments.spec(id);
  const summary = store.experiments.get(id);
  let executor: Executor | null = null;
  let heartbeat: NodeJS.Timeout | null = null;
  try {
    const ref = datasetRef(store, spec.dataset, summary.datasetHash);
    const data = loadDataset(ref);
    const plan = planNetwork(spec.network, data.shape, data.numClasses);
    store.experiments.setLayers(id, plan.layers);
    let source: { mask: import('../engine/types').Mask; weights: import('../engine/types').WeightSet } | undefined;
    if (spec.sourceTicketId) {
      const ticket = store.tickets.load(spec.sourceTicketId);
      if (!sameLayers(ticket.layers, plan.layers)) {
        throw new Error(`ticket ${spec.sourceTicketId} does not fit dataset '${spec.dataset}': its layers differ from the network built for this input shape and class count`);
      }
      source = { mask: ticket.mask, weights: ticket.rewindWeights };
    }
    // The backend's detail and, on WebGPU, its adapter (vendor, architecture, software or not) are recorded too.
    const adapter = opts.backend.adapter ? { adapter: opts.backend.adapter } : {};
    store.experiments.markRunning(id, { backend: opts.backend.name, ownerPid: process.pid, versions: { lthLab: LTH_LAB_VERSION, tfjs: TFJS_VERSION, backendDetail: opts.backend.detail, ...adapter } });
    emit({ type: 'status', experimentId: id, status: 'running', error: null });
    heartbeat = setInterval(() => store.experiments.heartbeat(id), HEARTBEAT_MS);
    heartbeat.unref();
    // More processes than runs that can train at once would only cost memory.
    const parallel = spec.trials * (1 + trainedVariants(spec).length) * (spec.pruning.method === 'magnitude' ? 1 : spec.pruning.rounds);
    const size = Math.min(opts.pool?.size ?? 1, parallel);
    // Packed training (issue 11): the ready runs of one network shape train as one model where it pays (LTH_PACK / --pack).
    const packed = !opts.executor && shouldPack(packChoiceFromEnv(), opts.backend.name, plan);
    executor = opts.executor
      ? opts.executor(data)
      : packed
        ? packingExecutor(data)
        : opts.pool && size > 1
          ? processPoolExecutor({ size, entry: opts.pool.entry, dataset: ref, backend: opts.pool.backend })
          : inlineExecutor(data);
    const began = Date.now();
    let firstFraction: number | null = null;
    // IMP, or pruning at initialisation (issue 13): the same context, sink and resume contract.
    // The instability analysis (issue 12) is a driver of its own on the same context.
    const driver = spec.stability ? stabilityDriver(store, id) : spec.pruning.method === 'magnitude' ? runImp : runAtInit;
    await driver({
      spec,
      data,
      executor,
      sink: store.sinkFor(id),
      resume: store.resumeState(id),
      source,
      signal: opts.signal,
      checkpointEveryMs: checkpointEveryMs(),
      checkpointEveryIterations: checkpointEveryIterations(),
      onProgress: (p, fractionDone) => {
        firstFraction ??= fractionDone;
        const gained = fractionDone - firstFraction;
        const elapsed = (Date.now() - began) / 1000;
        emit({
          type: 'progress',
          experimentId: id,
          ...p,
          fractionDone,
          etaSeconds: gained > 0.002 && elapsed > 1 ? (elapsed * (1 - fractionDone)) / gained : null,
        });
      },
      onRun: (result) => {
        store.experiments.refreshWinningTicket(id);
        emit({ type: 'run-complete', experimentId: id, result });
      },
    });
    if (spec.supermasks) {
      // Untrained supermasks (Zhou et al. 2019): one evaluation per stored mask, after training, skipped when stored.
      const stored = store.resumeState(id);
      await runSupermasks({
        spec,
        plan,
        data,
        sink: store.sinkFor(id),
        masks: stored.masks,
        done: store.runs.list(id, false),
        initOf: (trial) => source?.weights ?? initialWeights(plan.layers, trialSeed(spec, trial), spec.network),
        rewindOf: (trial) => {
          const w = stored.rewindWeights.get(trial);
          if (!w) throw new Error(`trial ${trial}: the rewind weights (iteration ${spec.pruning.rewindIteration}) the supermasks apply to are missing`);
          return w;
        },
        signal: opts.signal,
        onRun: (result) => emit({ type: 'run-complete', experimentId: id, result }),
      });
      if (opts.signal?.aborted) throw new AbortedError();
    }
    finish(store, id);
    setStatus('completed');
    return 'completed';
  } catch (err) {
    if (err instanceof AbortedError || opts.signal?.aborted) {
      const status = opts.stopStatus?.() ?? 'interrupted';
      setStatus(status);
      return status;
    }
    setStatus('failed', (err as Error).message ?? String(err));
    return 'failed';
  } finally {
    if (heartbeat) clearInterval(heartbeat);
    await executor?.close();
  }
}

/**
 * After the last round: name the winning ticket, keep it in the library, and drop the trained weights that
 * only resuming needed (the lean-storage rule: masks and rewind weights stay, trained weights only for kept tickets).
 */
/** Also ends a Slurm experiment once every trial's runs are home (src/main/slurm). */
export function finish(store: Store, id: string): void {
  store.experiments.refreshWinningTicket(id);
  const detail = store.experimentDetail(id);
  const win = detail.winningTicket;
  if (win) {
    // The verdict is on the mean over trials; each trial's own ticket at that round is kept, with its own
    // mask, weights and accuracies, and labelled with its trial.
    const kept = store.tickets.listForExperiment(id);
    for (let trial = 0; trial < detail.spec.trials; trial++) {
      if (kept.some((t) => t.round === win.round && t.trial === trial)) continue;
      const of = detail.spec.trials > 1 ? `, trial ${trial + 1} of ${detail.spec.trials}` : '';
      store.tickets.save(id, trial, win.round, `${detail.name} · winning ticket${of} (${(win.weightsRemaining * 100).toFixed(1)}%)`);
    }
  }
  store.pruneTrainedWeights(id, []);
}
