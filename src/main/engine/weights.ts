import type { LayerInfo } from '../../shared/results';
import { biasSize, normSize } from './network';
import { deriveSeed, gaussian } from './random';
import type { Mask, WeightSet } from './types';

export type InitScheme = 'glorot' | 'kaiming';

/**
 * Gaussian Glorot (the paper's init), N(0, 2 / (fan_in + fan_out)), or Kaiming normal with fan-in (open_lth's
 * for ResNets and VGGs), N(0, 2 / fan_in); biases start at zero; batch norm at γ = 1, running mean 0, variance 1.
 */
export function initialWeights(layers: readonly LayerInfo[], seed: number, scheme: InitScheme = 'glorot'): WeightSet {
  const w: WeightSet = {
    kernels: layers.map((l, i) => {
      const receptive = l.kind === 'conv' ? l.shape[0]! * l.shape[1]! : 1;
      const fanIn = receptive * l.shape[l.shape.length - 2]!;
      const fanOut = receptive * l.shape[l.shape.length - 1]!;
      const variance = scheme === 'kaiming' ? 2 / fanIn : 2 / (fanIn + fanOut);
      return gaussian(l.weights, Math.sqrt(variance), deriveSeed(seed, 'init', i));
    }),
    biases: layers.map((l) => new Float32Array(biasSize(l))),
  };
  if (layers.some((l) => l.batchNorm)) w.norms = layers.map(initialNorm);
  return w;
}

/** The paper's init; what every network without an `init` choice uses. */
export const glorotInit = (layers: readonly LayerInfo[], seed: number): WeightSet => initialWeights(layers, seed, 'glorot');

/** γ = 1, running mean 0, running variance 1 (PyTorch's BatchNorm2d at construction); empty for a layer without. */
function initialNorm(l: LayerInfo): Float32Array {
  const out = new Float32Array(normSize(l));
  const c = out.length / 3;
  out.fill(1, 0, c);
  out.fill(1, 2 * c);
  return out;
}

export function denseMask(layers: readonly LayerInfo[]): Mask {
  return layers.map((l) => new Uint8Array(l.weights).fill(1));
}

export function cloneWeights(w: WeightSet): WeightSet {
  return { kernels: w.kernels.map((k) => k.slice()), biases: w.biases.map((b) => b.slice()), ...normsOf(w) };
}

/** The batch-norm state of `w`, copied, as a spread: `{ ...normsOf(w) }` carries it into a new WeightSet. */
export function normsOf(w: WeightSet): Pick<WeightSet, 'norms'> {
  return w.norms ? { norms: w.norms.map((n) => n.slice()) } : {};
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
    ...normsOf(w),
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
