import type { PruningSpec } from '../../shared/spec';
import type { LayerInfo } from '../../shared/results';
import { deriveSeed, sampleWithoutReplacement } from './random';
import type { Mask, WeightSet } from './types';
import { maskCounts } from './weights';

function rateOf(layer: LayerInfo, pruning: PruningSpec): number {
  return pruning.rates[layer.kind];
}

/** The layers a round of magnitude pruning takes weights from (a non-zero rate); the others keep their mask. */
export function prunedLayerIndices(layers: readonly LayerInfo[], pruning: PruningSpec): number[] {
  return layers.map((l, i) => (rateOf(l, pruning) > 0 ? i : -1)).filter((i) => i >= 0);
}

/**
 * Keeps the `keep` largest |w| (with `smallest`, the smallest: score inversion) among the survivors of several
 * layers together; ties at the threshold are broken by layer then index order, so the count is exact and the mask
 * deterministic.
 */
function keepLargest(kernels: Float32Array[], masks: Uint8Array[], keep: number, smallest = false): Uint8Array[] {
  if (smallest) kernels = kernels.map((k) => Float32Array.from(k, (v) => -Math.abs(v)));
  let survivors = 0;
  for (const m of masks) for (let j = 0; j < m.length; j++) survivors += m[j]!;
  const out = masks.map((m) => new Uint8Array(m.length));
  if (keep >= survivors) return masks.map((m) => m.slice());
  if (keep <= 0) return out;
  const mags = new Float32Array(survivors);
  let n = 0;
  kernels.forEach((k, l) => {
    const m = masks[l]!;
    for (let j = 0; j < k.length; j++) if (m[j]) mags[n++] = smallest ? k[j]! : Math.abs(k[j]!);
  });
  mags.sort();
  const threshold = mags[survivors - keep]!;
  let above = 0;
  for (let i = survivors - keep; i < survivors; i++) if (mags[i]! > threshold) above++;
  let tiesLeft = keep - above;
  kernels.forEach((k, l) => {
    const m = masks[l]!;
    const o = out[l]!;
    for (let j = 0; j < k.length; j++) {
      if (!m[j]) continue;
      const a = smallest ? k[j]! : Math.abs(k[j]!);
      if (a > threshold) o[j] = 1;
      else if (a === threshold && tiesLeft > 0) {
        o[j] = 1;
        tiesLeft--;
      }
    }
  });
  return out;
}

/**
 * The mask for `round`: each layer (layer-wise) or the pool of layers with a non-zero rate (global) keeps
 * round(n0 * (1 - p)^round) weights, n0 being what the round-0 mask kept, chosen by magnitude of `trained`
 * among the survivors of `current`. Targets come from n0, not from the previous round, so rounding
 * errors never accumulate: after k rounds a layer keeps (1 - p)^k of its weights within one weight.
 * `invert` keeps the smallest magnitudes instead, at the same counts: the score inversion of Frankle et al. 2021.
 */
export function magnitudeMask(
  layers: readonly LayerInfo[],
  trained: WeightSet,
  current: Mask,
  base: Mask,
  round: number,
  pruning: PruningSpec,
  invert = false,
): Mask {
  const baseCounts = maskCounts(base);
  if (pruning.strategy === 'layerwise') {
    return layers.map((layer, i) => {
      const rate = rateOf(layer, pruning);
      if (rate === 0) return current[i]!.slice();
      const keep = Math.round(baseCounts[i]! * (1 - rate) ** round);
      return keepLargest([trained.kernels[i]!], [current[i]!], keep, invert)[0]!;
    });
  }
  const pool = prunedLayerIndices(layers, pruning);
  const keep = Math.round(pool.reduce((a, i) => a + baseCounts[i]!, 0) * (1 - pruning.globalRate) ** round);
  const kept = keepLargest(
    pool.map((i) => trained.kernels[i]!),
    pool.map((i) => current[i]!),
    keep,
    invert,
  );
  const out: Uint8Array[] = current.map((m) => m.slice());
  pool.forEach((layerIndex, k) => {
    out[layerIndex] = kept[k]!;
  });
  return out;
}

/** The random-pruning control: per layer, as many weights as `like` keeps, at uniformly random positions. */
export function randomMask(like: Mask, seed: number): Mask {
  return like.map((m, i) => {
    let k = 0;
    for (let j = 0; j < m.length; j++) k += m[j]!;
    const out = new Uint8Array(m.length);
    for (const j of sampleWithoutReplacement(m.length, k, deriveSeed(seed, 'layer', i))) out[j] = 1;
    return out;
  });
}
