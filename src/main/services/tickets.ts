import type { LayerInfo } from '../../shared/results';
import type { ExperimentSpecInput } from '../../shared/spec';
import { planNetwork } from '../engine/network';
import type { Store } from '../store';
import type { MaskOverlap, RetrainRequest } from './types';

export class TicketOperationError extends Error {
  override name = 'TicketOperationError';
}

export function sameLayers(a: readonly LayerInfo[], b: readonly LayerInfo[]): boolean {
  return a.length === b.length && a.every((l, i) => l.kind === b[i]!.kind && l.shape.join('x') === b[i]!.shape.join('x'));
}

/** Kept-weight overlap of two tickets of the same architecture, layer by layer: |A and B| / |A or B|. */
export function maskOverlap(store: Store, ticketA: string, ticketB: string): MaskOverlap {
  const a = store.tickets.load(ticketA);
  const b = store.tickets.load(ticketB);
  if (!sameLayers(a.layers, b.layers)) {
    throw new TicketOperationError(`tickets ${ticketA} and ${ticketB} have different architectures: masks cannot be compared`);
  }
  return {
    ticketA,
    ticketB,
    layers: a.layers.map((l, i) => {
      const ma = a.mask[i]!;
      const mb = b.mask[i]!;
      let both = 0;
      let either = 0;
      for (let j = 0; j < ma.length; j++) {
        both += ma[j]! & mb[j]!;
        either += ma[j]! | mb[j]!;
      }
      return { name: l.name, jaccard: either === 0 ? 1 : both / either };
    }),
  };
}

/** Per input pixel, the first dense layer's connections the ticket keeps (channels summed). */
export function pixelHeatmap(store: Store, id: string): { height: number; width: number; counts: number[] } {
  const t = store.tickets.load(id);
  const first = t.layers[0];
  const shape = t.datasetShape;
  if (!first || first.kind === 'conv' || !shape) {
    throw new TicketOperationError(`ticket ${id}: a pixel heat map needs a network whose first layer is dense (an MLP)`);
  }
  const [height, width, channels] = shape;
  const [inputs, units] = first.shape as [number, number];
  if (inputs !== height * width * channels) throw new TicketOperationError(`ticket ${id}: the first layer does not take the raw pixels`);
  const mask = t.mask[0]!;
  const counts = new Array<number>(height * width).fill(0);
  for (let i = 0; i < inputs; i++) {
    let kept = 0;
    for (let j = 0; j < units; j++) kept += mask[i * units + j]!;
    counts[Math.floor(i / channels)]! += kept;
  }
  return { height, width, counts };
}

/**
 * A retrain or transfer is a new experiment whose round 0 is the ticket (mask + rewind weights), with its
 * controls, on the ticket's dataset or another of the same input shape and class count.
 */
export function retrainSpec(store: Store, req: RetrainRequest): ExperimentSpecInput {
  const t = store.tickets.load(req.ticketId);
  const datasetId = req.datasetId ?? t.spec.dataset;
  const target = store.datasets.get(datasetId);
  const plan = planNetwork(t.spec.network, target.shape, target.numClasses);
  if (!sameLayers(plan.layers, t.layers)) {
    throw new TicketOperationError(
      `ticket ${req.ticketId} cannot move to dataset '${datasetId}': it needs input ${t.datasetShape?.join('x') ?? '?'} with ${t.layers.at(-1)?.shape[1]} classes, the dataset has ${target.shape.join('x')} with ${target.numClasses}`,
    );
  }
  const transfer = datasetId !== t.spec.dataset;
  return {
    ...t.spec,
    name: `${transfer ? 'Transfer' : 'Retrain'} of ${t.record.name}${transfer ? ` to ${target.name}` : ''}`,
    dataset: datasetId,
    sourceTicketId: req.ticketId,
    controls: req.controls ?? ['reinit', 'random'],
    trials: req.trials ?? t.spec.trials,
    training: { ...t.spec.training, iterations: req.iterations ?? t.spec.training.iterations },
    // A ticket found by a pruning-at-init method retrains like any ticket: its mask is round 0 (issue 13).
    pruning: { ...t.spec.pruning, rounds: 1, rewindIteration: 0, method: 'magnitude', densities: undefined },
  };
}
