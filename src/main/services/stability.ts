import type { StabilityPointResult } from '../../shared/analyses/stability';
import { denseStarts, runStability, type StabilityStart } from '../engine/analyses/stability';
import type { ImpContext } from '../engine/imp';
import { planNetwork } from '../engine/network';
import { density } from '../engine/weights';
import type { BatchNormStats } from '../../shared/analyses/stability';
import type { ExperimentSpec, ExperimentSpecInput } from '../../shared/spec';
import type { Store } from '../store';
import { StoreError } from '../store/errors';
import { sameLayers } from './tickets';

/** Where an analysis starts: a ticket (its mask and rewind weights) or every round of an IMP experiment. */
export interface StabilitySource {
  ticketId?: string;
  experimentId?: string;
}

/** The network, dataset and training the analysis shares with its source. */
export function stabilitySourceSpec(store: Store, src: StabilitySource): ExperimentSpec {
  if (src.ticketId && src.experimentId) throw new StoreError('an instability analysis starts from a ticket or from an experiment, not both', 'invalid');
  if (src.ticketId) return store.tickets.load(src.ticketId).spec;
  if (src.experimentId) return store.experimentDetail(src.experimentId).spec;
  throw new StoreError('an instability analysis needs a ticket or an experiment to start from', 'invalid');
}

/**
 * The spec of an instability analysis of `base` (the source's spec, training fields possibly changed): the CLI's
 * `lth analyze stability --from` and the window's "Instability analysis" button build it here, once.
 */
export function stabilitySpecInput(
  store: Store,
  base: ExperimentSpec,
  src: StabilitySource,
  o: { name?: string; rewindPoints?: number[]; interpolationPoints?: number; threshold?: number; batchNormStats?: BatchNormStats; dataset?: string } = {},
): ExperimentSpecInput {
  const from = src.ticketId ? `ticket ${src.ticketId}` : src.experimentId ? `experiment ${src.experimentId}` : (base.name ?? base.network.preset ?? 'the dense network');
  // The experiment list shows points done / planned through the rounds count.
  const planned = src.experimentId ? store.experimentDetail(src.experimentId).spec.pruning.rounds : src.ticketId ? 1 : (o.rewindPoints ?? [0]).length;
  return {
    ...base,
    dataset: o.dataset ?? base.dataset,
    name: o.name ?? `Instability of ${from}`,
    controls: [],
    sourceTicketId: src.ticketId,
    pruning: { ...base.pruning, rounds: planned },
    stability: {
      rewindPoints: o.rewindPoints ?? [0],
      interpolationPoints: o.interpolationPoints ?? 30,
      threshold: o.threshold ?? 0.02,
      ...(src.experimentId ? { sourceExperimentId: src.experimentId } : {}),
      ...(o.batchNormStats ? { batchNormStats: o.batchNormStats } : {}),
    },
  };
}

/**
 * The instability analysis as an experiment driver (the same context as IMP's): its starting points come from
 * the dense network, a ticket (ctx.source) or the rounds of a stored IMP experiment; its results go to the
 * store's analysis results, one per (trial, point), so a resume skips finished points.
 */
export function stabilityDriver(store: Store, experimentId: string): (ctx: ImpContext) => Promise<void> {
  return async (ctx) => {
    const { spec, data } = ctx;
    const stability = spec.stability!;
    let starts: (trial: number) => StabilityStart[];
    if (ctx.source) {
      const ticket = store.tickets.load(spec.sourceTicketId!);
      const k = ticket.spec.pruning.rewindIteration;
      if (k >= spec.training.iterations) throw new StoreError(`ticket ${ticket.record.id} rewinds to iteration ${k}, not below the ${spec.training.iterations} iterations the copies train`);
      const label = `ticket ${ticket.record.name} (${(ticket.record.weightsRemaining * 100).toFixed(1)}%)`;
      starts = () => [{ label, startIteration: k, mask: ctx.source!.mask, init: ctx.source!.weights }];
    } else if (stability.sourceExperimentId) {
      starts = experimentStarts(store, stability.sourceExperimentId, ctx);
    } else {
      starts = denseStarts(spec, data);
    }
    const done = new Set(store.analyses.list<StabilityPointResult>(experimentId, 'stability').map((r) => `${r.trial}:${r.point}`));
    await runStability({
      spec,
      data,
      executor: ctx.executor,
      starts,
      done,
      save: (r) => {
        store.analyses.save(experimentId, 'stability', r.trial, r.point, r);
        store.experiments.heartbeat(experimentId);
      },
      signal: ctx.signal,
      onProgress: ctx.onProgress,
    });
  };
}

/** Every round of an IMP experiment, for the same trial: its mask and the trial's rewind weights, from k. */
function experimentStarts(store: Store, sourceId: string, ctx: ImpContext): (trial: number) => StabilityStart[] {
  const source = store.experimentDetail(sourceId);
  if (source.stability) throw new StoreError(`experiment ${sourceId} is itself an instability analysis: start from an IMP experiment`);
  const plan = planNetwork(ctx.spec.network, ctx.data.shape, ctx.data.numClasses);
  if (!sameLayers(source.layers, plan.layers)) {
    throw new StoreError(`experiment ${sourceId} trained other layers (${source.layers.map((l) => l.shape.join('x')).join(', ')}) than this analysis builds`);
  }
  if (source.datasetHash !== ctx.data.hash) throw new StoreError(`experiment ${sourceId} used other data (dataset hash differs): analyse it on its own dataset`);
  if (source.spec.trials < ctx.spec.trials) {
    throw new StoreError(`experiment ${sourceId} has ${source.spec.trials} trial(s); this analysis asks for ${ctx.spec.trials}`);
  }
  const state = store.resumeState(sourceId);
  const k = source.spec.pruning.rewindIteration;
  if (k >= ctx.spec.training.iterations) throw new StoreError(`experiment ${sourceId} rewinds to iteration ${k}, not below the ${ctx.spec.training.iterations} iterations the copies train`);
  return (trial) => {
    const rewind = state.rewindWeights.get(trial);
    if (!rewind) throw new StoreError(`experiment ${sourceId} has no rewind weights for trial ${trial} yet`);
    const starts: StabilityStart[] = [];
    for (let round = 0; round < source.spec.pruning.rounds; round++) {
      const mask = state.masks.get(`${trial}:${round}`);
      if (!mask) break;
      starts.push({ label: `round ${round} (${(density(mask).overall * 100).toFixed(1)}%)`, startIteration: k, mask, init: rewind });
    }
    if (starts.length === 0) throw new StoreError(`experiment ${sourceId} has no masks for trial ${trial} yet`);
    return starts;
  };
}
