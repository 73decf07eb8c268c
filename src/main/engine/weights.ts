import type { LayerInfo } from '../../shared/results';
import { biasSize, normSize } from './network';
import type { NetworkSpec } from '../../shared/spec';
import { mulberry32 } from './data/rng';
import { deriveSeed, gaussian } from './random';
import type { Mask, WeightSet } from './types';

export type InitScheme = 'glorot' | 'kaiming';
/** A network's init choices: the kernel scheme and batch norm's γ. */
export type InitChoice = Pick<NetworkSpec, 'init' | 'bnInit'>;

/**
 * Gaussian Glorot (the paper's init), N(0, 2 / (fan_in + fan_out)), or Kaiming normal with fan-in (open_lth's
 * for ResNets and VGGs), N(0, 2 / fan_in); biases start at zero; batch norm at running mean 0, variance 1 and
 * γ = 1, or γ uniform in [0, 1) with bnInit 'uniform'. Every draw comes from `seed`, one stream per layer, so the
 * kernels do not depend on the γ choice and a resumed or repeated trial draws the same θ0.
 */
export function initialWeights(layers: readonly LayerInfo[], seed: number, choice: InitScheme | InitChoice = 'glorot'): WeightSet {
  const { init: scheme = 'glorot', bnInit } = typeof choice === 'string' ? { init: choice } : choice;
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
  if (layers.some((l) => l.batchNorm)) w.norms = layers.map((l, i) => initialNorm(l, bnInit === 'uniform' ? deriveSeed(seed, 'gamma', i) : null));
  return w;
}

/** The paper's init; what every network without an `init` choice uses. */
export const glorotInit = (layers: readonly LayerInfo[], seed: number): WeightSet => initialWeights(layers, seed, 'glorot');

/**
 * γ = 1 (or uniform in [0, 1) drawn from `gammaSeed`), running mean 0, running variance 1 (PyTorch's BatchNorm2d at
 * construction); empty for a layer without.
 */
function initialNorm(l: LayerInfo, gammaSeed: number | null): Float32Array {
  const out = new Float32Array(normSize(l));
  const c = out.length / 3;
  if (gammaSeed === null) out.fill(1, 0, c);
  else {
    const r = mulberry32(gammaSeed);
    // 24 bits, exact in float32: r.next() can round up to 1 when stored.
    for (let j = 0; j < c; j++) out[j] = (r.nextUint32() >>> 8) / 16777216;
  }
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
