import type { LayerInfo } from '../../shared/results';
import { biasSize } from './network';
import { deriveSeed, gaussian } from './random';
import type { Mask, WeightSet } from './types';

/** Gaussian Glorot (the paper's init): N(0, 2 / (fan_in + fan_out)); biases start at zero. */
export function glorotInit(layers: readonly LayerInfo[], seed: number): WeightSet {
  return {
    kernels: layers.map((l, i) => {
      const receptive = l.kind === 'conv' ? l.shape[0]! * l.shape[1]! : 1;
      const fanIn = receptive * l.shape[l.shape.length - 2]!;
      const fanOut = receptive * l.shape[l.shape.length - 1]!;
      return gaussian(l.weights, Math.sqrt(2 / (fanIn + fanOut)), deriveSeed(seed, 'init', i));
    }),
    biases: layers.map((l) => new Float32Array(biasSize(l))),
  };
}

export function denseMask(layers: readonly LayerInfo[]): Mask {
  return layers.map((l) => new Uint8Array(l.weights).fill(1));
}

export function cloneWeights(w: WeightSet): WeightSet {
  return { kernels: w.kernels.map((k) => k.slice()), biases: w.biases.map((b) => b.slice()) };
}

/** Zeroes pruned kernel entries (a copy): the start of every masked run. */
export function applyMask(w: WeightSet, mask: Mask): WeightSet {
  return {
    kernels: w.kernels.map((k, i) => {
      const m = mask[i]!;
      const out = k.slice();
      for (let j = 0; j < out.length; j++) if (m[j] === 0) out[j] = 0;
      return out;
    }),
    biases: w.biases.map((b) => b.slice()),
  };
}

export function maskCounts(mask: Mask): number[] {
  return mask.map((m) => {
    let n = 0;
    for (let j = 0; j < m.length; j++) n += m[j]!;
    return n;
  });
}

export function density(mask: Mask): { overall: number; perLayer: number[] } {
  const kept = maskCounts(mask);
  const total = mask.reduce((a, m) => a + m.length, 0);
  return {
    overall: kept.reduce((a, b) => a + b, 0) / total,
    perLayer: kept.map((k, i) => k / mask[i]!.length),
  };
}
