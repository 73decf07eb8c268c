import type { Store } from '../store';
import { StoreError } from '../store';

/**
 * The mask view of any stored round, not only of saved tickets: per input pixel, how many first-layer
 * connections round `round` of trial `trial` keeps (channels summed). Round 0 is dense (every count equal).
 */
export function roundMaskHeatmap(store: Store, experimentId: string, trial: number, round: number): { height: number; width: number; counts: number[] } {
  const layers = store.experiments.layers(experimentId);
  const summary = store.experiments.get(experimentId);
  const dataset = store.datasets.find(summary.datasetId);
  const first = layers[0];
  if (!first || first.kind === 'conv' || !dataset) {
    throw new StoreError(`experiment ${experimentId}: a pixel heat map needs a network whose first layer is dense (an MLP)`, 'invalid');
  }
  const [height, width, channels] = dataset.shape;
  const [inputs, units] = first.shape as [number, number];
  if (inputs !== height * width * channels) throw new StoreError(`experiment ${experimentId}: the first layer does not take the raw pixels`, 'invalid');
  const mask = store.artifacts.mask(experimentId, trial, round);
  const counts = new Array<number>(height * width).fill(0);
  if (!mask) {
    // Round 0 trains the dense network: no mask is stored for it.
    if (round !== 0) throw new StoreError(`experiment ${experimentId} has no mask for trial ${trial}, round ${round} yet`, 'not-found');
    for (let i = 0; i < inputs; i++) counts[Math.floor(i / channels)]! += units;
    return { height, width, counts };
  }
  const m = mask[0]!;
  for (let i = 0; i < inputs; i++) {
    let kept = 0;
    for (let j = 0; j < units; j++) kept += m[i * units + j]!;
    counts[Math.floor(i / channels)]! += kept;
  }
  return { height, width, counts };
}
