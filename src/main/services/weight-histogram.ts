import type { Store } from '../store';
import { StoreError } from '../store';
import type { WeightHistogram } from './types';

/**
 * Per prunable layer of a ticket: a histogram of the surviving weights' magnitudes, in the trained
 * weights when the ticket kept them (else its rewind weights), and the magnitude the next round of
 * layer-wise pruning would cut at: the layer's rate-quantile of the surviving magnitudes, so the bars
 * left of the line are what pruning removes next.
 */
export function ticketWeightHistogram(store: Store, ticketId: string, bins = 40): WeightHistogram {
  const t = store.tickets.load(ticketId);
  const weights = t.trainedWeights ?? t.rewindWeights;
  if (!weights) throw new StoreError(`ticket ${ticketId} has no weights stored`, 'not-found');
  const rates = t.spec.pruning.rates;
  const layers = t.layers.map((l, i) => {
    const kernel = weights.kernels[i]!;
    const mask = t.mask[i]!;
    const mags: number[] = [];
    for (let j = 0; j < kernel.length; j++) if (mask[j]) mags.push(Math.abs(kernel[j]!));
    mags.sort((a, b) => a - b);
    const max = mags.at(-1) ?? 0;
    const counts = new Array<number>(bins).fill(0);
    for (const m of mags) counts[Math.min(bins - 1, max > 0 ? Math.floor((m / max) * bins) : 0)]! += 1;
    const rate = t.spec.pruning.strategy === 'global' ? t.spec.pruning.globalRate : rates[l.kind];
    const cut = rate > 0 && mags.length ? mags[Math.min(mags.length - 1, Math.floor(mags.length * rate))]! : null;
    return { name: l.name, kind: l.kind, kept: mags.length, total: kernel.length, max, counts, rate, threshold: cut };
  });
  return { ticketId, source: t.trainedWeights ? 'trained' : 'rewind', bins, layers };
}
