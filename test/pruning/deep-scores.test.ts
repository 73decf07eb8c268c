import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/main/engine/backend';
import { runAtInit } from '../../src/main/engine/at-init';
import { mulberry32 } from '../../src/main/engine/data/rng';
import { inlineExecutor } from '../../src/main/engine/executor';
import { BN_EPSILON } from '../../src/main/engine/batch-norm';
import { planNetwork, type NetworkPlan } from '../../src/main/engine/network';
import { AT_INIT_METHODS, prunablePool, type ScoreData } from '../../src/main/engine/pruning';
import { GRASP_CHUNK_BYTES, GRASP_TEMPERATURE, graspChunkSize, graspScores, hessianGradientProduct, sampleChunks } from '../../src/main/engine/pruning/grasp';
import { snipScores } from '../../src/main/engine/pruning/snip';
import { synflowScores } from '../../src/main/engine/pruning/synflow';
import { gaussian } from '../../src/main/engine/random';
import { emptyResumeState, type Mask, type ResumeState, type WeightSet } from '../../src/main/engine/types';
import { denseMask, initialWeights, maskCounts } from '../../src/main/engine/weights';
import type { NetworkSpec } from '../../src/shared/spec';
import type { RunResult } from '../../src/shared/results';
import { AbortedError } from '../../src/main/engine/trainer';
import { colourDataset, tinySpec } from '../engine/synthetic';

/**
 * Pruning-at-init scores on networks with residual blocks (stride-2 3x3 convs, 1x1 projections), batch norm and
 * global average pooling, against an independent float64 reference written out here: the forward pass by hand
 * (PyTorch's conv alignment, padding (k - 1) / 2), gradients by central differences, GraSP's Hg by central
 * differences of directional derivatives; a difference whose step flips any ReLU or max-pool is left out (and
 * counted), since it measures a kink rather than a derivative.
 */

const RESIDUAL: NetworkSpec = { conv: [], dense: [], dropout: 0, residual: { widths: [4, 8], blocks: 1 }, batchNorm: true };
/** VGG-style: 3x3 convs with batch norm, max-pool, global average pooling, a hidden dense layer. */
const VGG: NetworkSpec = { conv: [4, 'pool', 6], dense: [6], dropout: 0, batchNorm: true, pooling: 'average' };
const SHAPE: [number, number, number] = [8, 8, 3];
const CLASSES = 5;

// ---------------------------------------------------------------------------------------------------------------
// The float64 reference.

interface Net64 {
  k: Float64Array[];
  b: Float64Array[];
  /** [γ, running mean, running variance], or null. */
  n: (Float64Array | null)[];
}

interface Map64 {
  d: Float64Array;
  b: number;
  h: number;
  w: number;
  c: number;
}

function conv64(x: Map64, k: Float64Array, kernel: number, stride: number, co: number): Map64 {
  const pad = (kernel - 1) / 2;
  const oh = x.h / stride;
  const ow = x.w / stride;
  const out = new Float64Array(x.b * oh * ow * co);
  for (let n = 0; n < x.b; n++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++) {
        const o = ((n * oh + oy) * ow + ox) * co;
        for (let dy = 0; dy < kernel; dy++) {
          const iy = oy * stride + dy - pad;
          if (iy < 0 || iy >= x.h) continue;
          for (let dx = 0; dx < kernel; dx++) {
            const ix = ox * stride + dx - pad;
            if (ix < 0 || ix >= x.w) continue;
            const xi = ((n * x.h + iy) * x.w + ix) * x.c;
            const ki = (dy * kernel + dx) * x.c * co;
            for (let ci = 0; ci < x.c; ci++) {
              const v = x.d[xi + ci]!;
              const kr = ki + ci * co;
              for (let f = 0; f < co; f++) out[o + f]! += v * k[kr + f]!;
            }
          }
        }
      }
  return { d: out, b: x.b, h: oh, w: ow, c: co };
}

/** Batch norm: the batch's statistics (biased variance) in training, the running ones in evaluation. */
function norm64(z: Map64, state: Float64Array, beta: Float64Array, train: boolean): Map64 {
  const c = z.c;
  const count = z.d.length / c;
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  if (train) {
    for (let i = 0; i < z.d.length; i++) mean[i % c]! += z.d[i]! / count;
    for (let i = 0; i < z.d.length; i++) variance[i % c]! += (z.d[i]! - mean[i % c]!) ** 2 / count;
  } else {
    mean.set(state.subarray(c, 2 * c));
    variance.set(state.subarray(2 * c));
  }
  const out = new Float64Array(z.d.length);
  for (let i = 0; i < z.d.length; i++) {
    const ch = i % c;
    out[i] = ((z.d[i]! - mean[ch]!) / Math.sqrt(variance[ch]! + BN_EPSILON)) * state[ch]! + beta[ch]!;
  }
  return { ...z, d: out };
}

/**
 * While set, every ReLU records which inputs were positive and every max-pool which entry won: finite differences
 * are only trusted between evaluations with the same pattern (a step across a kink is no derivative).
 */
let trace: number[] | null = null;

const relu64 = (x: Map64): Map64 => {
  if (trace) for (const v of x.d) trace.push(v > 0 ? 1 : 0);
  return { ...x, d: x.d.map((v) => Math.max(0, v)) };
};

function pool64(x: Map64): Map64 {
  const [oh, ow] = [Math.floor(x.h / 2), Math.floor(x.w / 2)];
  const out = new Float64Array(x.b * oh * ow * x.c).fill(-Infinity);
  const winner = new Int32Array(out.length);
  for (let n = 0; n < x.b; n++)
    for (let y = 0; y < 2 * oh; y++)
      for (let xx = 0; xx < 2 * ow; xx++)
        for (let c = 0; c < x.c; c++) {
          const o = ((n * oh + (y >> 1)) * ow + (xx >> 1)) * x.c + c;
          const v = x.d[((n * x.h + y) * x.w + xx) * x.c + c]!;
          if (v > out[o]!) {
            out[o] = v;
            winner[o] = (y & 1) * 2 + (xx & 1);
          }
        }
  if (trace) for (const k of winner) trace.push(k);
  return { d: out, b: x.b, h: oh, w: ow, c: x.c };
}

function forward64(plan: NetworkPlan, net: Net64, pixels: Float64Array, count: number, train: boolean): Map64 {
  const [h, w, c] = plan.inputShape;
  let act: Map64 = { d: pixels, b: count, h, w, c };
  const forks: Map64[] = [];
  const conv = (s: { layer: number; kernel: number; stride: number; filters: number; relu: boolean }, x: Map64): Map64 => {
    let z = conv64(x, net.k[s.layer]!, s.kernel, s.stride, s.filters);
    const n = net.n[s.layer];
    z = n ? norm64(z, n, net.b[s.layer]!, train) : { ...z, d: z.d.map((v, i) => v + net.b[s.layer]![i % s.filters]!) };
    return s.relu ? relu64(z) : z;
  };
  for (const s of plan.steps) {
    if (s.op === 'conv') act = conv(s, act);
    else if (s.op === 'pool') act = pool64(act);
    else if (s.op === 'flatten') act = { d: act.d, b: act.b, h: 1, w: 1, c: act.h * act.w * act.c };
    else if (s.op === 'average') {
      const out = new Float64Array(act.b * act.c);
      const px = act.h * act.w;
      for (let i = 0; i < act.d.length; i++) out[Math.floor(i / (px * act.c)) * act.c + (i % act.c)]! += act.d[i]! / px;
      act = { d: out, b: act.b, h: 1, w: 1, c: act.c };
    } else if (s.op === 'fork') forks.push(act);
    else if (s.op === 'join') {
      const input = forks.pop()!;
      const shortcut = s.projection ? conv(s.projection, input) : input;
      act = relu64({ ...act, d: act.d.map((v, i) => v + shortcut.d[i]!) });
    } else {
      const k = net.k[s.layer]!;
      const out = new Float64Array(act.b * s.units);
      for (let n = 0; n < act.b; n++)
        for (let u = 0; u < s.units; u++) {
          let z = net.b[s.layer]![u]!;
          for (let i = 0; i < act.c; i++) z += act.d[n * act.c + i]! * k[i * s.units + u]!;
          out[n * s.units + u] = z;
        }
      act = { d: out, b: act.b, h: 1, w: 1, c: s.units };
      if (s.relu) act = relu64(act);
    }
  }
  return act;
}

/** Mean softmax cross-entropy of logits / temperature, the network in training mode (batch statistics). */
function loss64(plan: NetworkPlan, net: Net64, data: ScoreData, temperature: number): number {
  const z = forward64(plan, net, Float64Array.from(data.pixels), data.count, true);
  let total = 0;
  for (let e = 0; e < data.count; e++) {
    const row = Array.from(z.d.subarray(e * z.c, (e + 1) * z.c), (v) => v / temperature);
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
    row.forEach((v, j) => (total += data.oneHot[e * z.c + j]! * (lse - v)));
  }
  return total / data.count;
}

const to64 = (w: WeightSet): Net64 => ({
  k: w.kernels.map((k) => Float64Array.from(k)),
  b: w.biases.map((b) => Float64Array.from(b)),
  n: w.kernels.map((_, i) => (w.norms?.[i]?.length ? Float64Array.from(w.norms[i]!) : null)),
});

/** f's value and the ReLU / max-pool pattern of every forward pass it made. */
function traced(f: () => number): { value: number; pattern: number[] } {
  trace = [];
  try {
    return { value: f(), pattern: trace };
  } finally {
    trace = null;
  }
}

const samePattern = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * ∂f/∂kernels by central differences, at the entries `pick` selects (NaN elsewhere). An entry whose step changes the
 * pattern of any ReLU or max-pool (a kink crossed) is NaN too; `crossed` counts them.
 */
function kernelGradient(net: Net64, f: (n: Net64) => number, h: number, pick: (l: number, j: number) => boolean = () => true): { d: Float64Array[]; crossed: number } {
  const base = traced(() => f(net)).pattern;
  expect(base.length).toBeGreaterThan(0);
  let crossed = 0;
  const d = net.k.map((k, l) =>
    k.map((v, j) => {
      if (!pick(l, j)) return NaN;
      k[j] = v + h;
      const plus = traced(() => f(net));
      k[j] = v - h;
      const minus = traced(() => f(net));
      k[j] = v;
      if (!samePattern(plus.pattern, base) || !samePattern(minus.pattern, base)) {
        crossed++;
        return NaN;
      }
      return (plus.value - minus.value) / (2 * h);
    }),
  );
  return { d, crossed };
}

const along = (net: Net64, u: ArrayLike<number>[], s: number): Net64 => ({ ...net, k: net.k.map((k, l) => k.map((v, j) => v + s * u[l]![j]!)) });

/**
 * H·g of `loss` at the picked entries, g given: |g| · ∂/∂θ_j of the directional derivative along g / |g|, both by
 * central differences (steps 1e-4: float64 round-off stays near 1e-8 of the result). The inner step is shrunk until
 * it crosses no kink, and outer steps that cross one are left out, so the differences see one smooth piece.
 */
function hessianGradient64(loss: (n: Net64) => number, net: Net64, g: ArrayLike<number>[], pick: (l: number, j: number) => boolean): { d: Float64Array[]; crossed: number } {
  const norm = Math.sqrt(g.reduce((a, gl) => a + Array.from(gl).reduce((b, v) => b + v * v, 0), 0));
  const u = g.map((gl) => Array.from(gl, (v) => v / norm));
  const at = traced(() => loss(net)).pattern;
  let eps = 1e-4;
  while (![1, -1].every((s) => samePattern(traced(() => loss(along(net, u, s * eps))).pattern, at))) eps /= 2;
  expect(eps).toBeGreaterThan(1e-6);
  const directional = (n: Net64) => (loss(along(n, u, eps)) - loss(along(n, u, -eps))) / (2 * eps);
  const { d, crossed } = kernelGradient(net, directional, 1e-4, pick);
  return { d: d.map((x) => x.map((v) => v * norm)), crossed };
}

/** SynFlow's network as Synaptic-Flow linearises it: |every entry| (biases and β, γ, running statistics too), pruned kernel entries 0. */
function linearised64(w: WeightSet, mask: Mask): Net64 {
  const net = to64(w);
  return {
    k: net.k.map((k, l) => k.map((v, j) => (mask[l]![j] ? Math.abs(v) : 0))),
    b: net.b.map((b) => b.map(Math.abs)),
    n: net.n.map((n) => (n ? n.map(Math.abs) : null)),
  };
}

/** R = Σ outputs of the network in evaluation mode on one all-ones input. */
function synflowR64(plan: NetworkPlan, net: Net64): number {
  const size = plan.inputShape[0] * plan.inputShape[1] * plan.inputShape[2];
  return forward64(plan, net, new Float64Array(size).fill(1), 1, false).d.reduce((a, v) => a + v, 0);
}

// ---------------------------------------------------------------------------------------------------------------
// Fixtures and comparisons.

/** Kaiming θ0 with non-trivial γ, β, running statistics (signs mixed, so |·| shows) and output bias: every term of batch norm matters. */
function weightsFor(plan: NetworkPlan, seed: number): WeightSet {
  const w = initialWeights(plan.layers, seed, 'kaiming');
  if (w.norms) w.norms = w.norms.map((n, i) => {
    if (!n.length) return n;
    const c = n.length / 3;
    const r = gaussian(n.length, 0.3, seed * 100 + i);
    return n.map((_, j) => (j < c ? 1 + r[j]! : j < 2 * c ? r[j]! : 1 + Math.abs(r[j]!)));
  });
  w.biases = w.biases.map((b, i) => gaussian(b.length, 0.2, seed * 100 + 50 + i));
  return w;
}

function sample(count: number, seed: number): ScoreData {
  const size = SHAPE[0] * SHAPE[1] * SHAPE[2];
  const pixels = gaussian(count * size, 1, seed);
  const oneHot = new Float32Array(count * CLASSES);
  for (let i = 0; i < count; i++) oneHot[i * CLASSES + (i % CLASSES)] = 1;
  return { pixels, oneHot, count };
}

/** Largest |actual − expected| of a layer over the largest |expected| in that layer. */
function relErr(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let scale = 0;
  let d = 0;
  for (let i = 0; i < expected.length; i++) {
    if (Number.isNaN(expected[i])) continue;
    scale = Math.max(scale, Math.abs(expected[i]!));
    d = Math.max(d, Math.abs(actual[i]! - expected[i]!));
  }
  expect(scale).toBeGreaterThan(0);
  return d / scale;
}

const worst = (actual: ArrayLike<number>[], expected: ArrayLike<number>[]): number => Math.max(...expected.map((e, l) => relErr(actual[l]!, e)));

/** Scores divided by their sum over the entries the reference has (not NaN): SynFlow's R is known up to one factor. */
function normalised(xs: ArrayLike<number>[], reference: ArrayLike<number>[] = xs): Float64Array[] {
  let total = 0;
  xs.forEach((x, l) => Array.from(x).forEach((v, j) => Number.isNaN(reference[l]![j]) || (total += v)));
  return xs.map((x) => Float64Array.from(x, (v) => v / total));
}

interface Case {
  name: string;
  plan: NetworkPlan;
  w: WeightSet;
  data: ScoreData;
  snip: Float64Array[];
  /** Per temperature, GraSP's g and Hg (along the engine's g, itself checked against `g`) at every third kernel entry (NaN elsewhere). */
  grasp: { temperature: number; g: Float64Array[]; hg: Float64Array[] }[];
  crossed: number;
  synflowMask: Mask;
  synflow: Float64Array[];
}

/** GraSP's temperature, and 1, where the logits' own curvature weighs more. */
const TEMPERATURES = [200, 1];
const third = (l: number, j: number) => (j + l) % 3 === 0;

async function referenceCase(name: string, spec: NetworkSpec, seed: number): Promise<Case> {
  const plan = planNetwork(spec, SHAPE, CLASSES);
  const w = weightsFor(plan, seed);
  const data = sample(CLASSES, seed + 1);
  const net = to64(w);
  const grad1 = kernelGradient(net, (n) => loss64(plan, n, data, 1), 1e-6);
  let crossed = grad1.crossed;
  const grasp: Case['grasp'] = [];
  for (const temperature of TEMPERATURES) {
    const g = kernelGradient(net, (n) => loss64(plan, n, data, temperature), 1e-6, third);
    const hg = hessianGradient64((n) => loss64(plan, n, data, temperature), net, (await hessianGradientProduct(plan, w, data, temperature)).g, third);
    crossed += g.crossed + hg.crossed;
    grasp.push({ temperature, g: g.d, hg: hg.d });
  }
  const r = mulberry32(seed + 2);
  const synflowMask = denseMask(plan.layers).map((m) => m.map(() => (r.next() < 0.7 ? 1 : 0)));
  const lin = linearised64(w, synflowMask);
  const dR = kernelGradient(lin, (n) => synflowR64(plan, n), 1e-6);
  crossed += dR.crossed;
  const synflow = normalised(dR.d.map((d, l) => d.map((v, j) => Math.abs(v * lin.k[l]![j]!))));
  const snip = grad1.d.map((d, l) => d.map((v, j) => Math.abs(v * w.kernels[l]![j]!)));
  return { name, plan, w, data, snip, grasp, crossed, synflowMask, synflow };
}

/**
 * GraSP in chunks of 2 of 5 examples (2, 2, 1) on the residual batch-norm net: the gradient and Hessian-gradient
 * product of Σ_c (n_c / N) L_c, each chunk's loss with its own batch statistics.
 */
interface ChunkedCase {
  plan: NetworkPlan;
  w: WeightSet;
  data: ScoreData;
  chunk: number;
  grasp: { temperature: number; g: Float64Array[]; hg: Float64Array[] }[];
}

async function chunkedReference(seed: number): Promise<ChunkedCase & { crossed: number }> {
  const plan = planNetwork(RESIDUAL, SHAPE, CLASSES);
  const w = weightsFor(plan, seed);
  const data = sample(CLASSES, seed + 1);
  const chunk = 2;
  const pieces = sampleChunks(data, chunk);
  expect(pieces.map((p) => p.count)).toEqual([2, 2, 1]);
  const net = to64(w);
  let crossed = 0;
  const grasp: ChunkedCase['grasp'] = [];
  for (const temperature of TEMPERATURES) {
    const loss = (n: Net64) => pieces.reduce((a, p) => a + (p.count / data.count) * loss64(plan, n, p, temperature), 0);
    const g = kernelGradient(net, loss, 1e-6, third);
    const hg = hessianGradient64(loss, net, (await hessianGradientProduct(plan, w, data, temperature, { chunk })).g, third);
    crossed += g.crossed + hg.crossed;
    grasp.push({ temperature, g: g.d, hg: hg.d });
  }
  return { plan, w, data, chunk, grasp, crossed };
}

const cases: Case[] = [];
let chunked: ChunkedCase;
beforeAll(async () => {
  await initBackend('cpu');
  cases.push(await referenceCase('residual, batch norm, stride-2 and 1x1 convs, global average', RESIDUAL, 3));
  cases.push(await referenceCase('VGG-style, batch norm, max-pool, global average, hidden dense', VGG, 5));
  for (const c of cases) console.log(`reference ${c.name}: ${c.crossed} finite-difference entries left out for crossing a ReLU or max-pool kink`);
  const ref = await chunkedReference(11);
  console.log(`reference GraSP in chunks: ${ref.crossed} finite-difference entries left out for crossing a ReLU or max-pool kink`);
  chunked = ref;
});

describe.each(['cpu', 'wasm'] as const)('scores against the float64 reference (%s)', (backend) => {
  beforeAll(async () => {
    await initBackend(backend);
  });
  afterAll(async () => {
    await initBackend('wasm');
  });

  it('SNIP is |∂L/∂w ⊙ w| of the network as it trains (batch statistics; running statistics ignored)', async () => {
    for (const c of cases) {
      const err = worst(await snipScores(c.plan, c.w, c.data), c.snip);
      console.log(`[${backend}] SNIP ${c.name}: max error ${err.toExponential(2)} of the layer's largest score`);
      expect(err).toBeLessThan(1e-4);
    }
  });

  it("GraSP's gradient and Hessian-gradient product match (T = 200 and 1), second derivatives through batch statistics included", async () => {
    for (const c of cases)
      for (const ref of c.grasp) {
        const { g, hg } = await hessianGradientProduct(c.plan, c.w, c.data, ref.temperature);
        const errG = worst(g, ref.g);
        const errHg = worst(hg, ref.hg);
        console.log(`[${backend}] GraSP T = ${ref.temperature} ${c.name}: g max error ${errG.toExponential(2)}, Hg max error ${errHg.toExponential(2)}`);
        expect(errG).toBeLessThan(1e-4);
        expect(errHg).toBeLessThan(2e-3);
      }
  });

  it('GraSP in chunks with batch norm: g and Hg of Σ_c (n_c / N) L_c, each chunk normalised with its own batch statistics', async () => {
    const { plan, w, data, chunk } = chunked;
    for (const ref of chunked.grasp) {
      const { g, hg } = await hessianGradientProduct(plan, w, data, ref.temperature, { chunk });
      const errG = worst(g, ref.g);
      const errHg = worst(hg, ref.hg);
      // One chunk (the whole sample's statistics) is another function: chunking changes the maths under batch norm.
      const whole = worst((await hessianGradientProduct(plan, w, data, ref.temperature)).hg, ref.hg);
      console.log(`[${backend}] GraSP T = ${ref.temperature} in chunks of ${chunk} of ${data.count}: g max error ${errG.toExponential(2)}, Hg max error ${errHg.toExponential(2)} (one chunk: ${whole.toExponential(2)} off)`);
      expect(errG).toBeLessThan(1e-4);
      expect(errHg).toBeLessThan(2e-3);
      expect(whole).toBeGreaterThan(1e-2);
    }
  });

  it("SynFlow is |θ ⊙ ∂R/∂θ| of Synaptic-Flow's linearised network in evaluation mode (|γ|, |β|, |running mean|, |running variance|), survivors only", async () => {
    for (const c of cases) {
      const got = normalised(await synflowScores(c.plan, c.w, c.synflowMask), c.synflow);
      const err = worst(got, c.synflow);
      console.log(`[${backend}] SynFlow ${c.name}: max error ${err.toExponential(2)} (scores normalised to sum 1)`);
      expect(err).toBeLessThan(1e-4);
      got.forEach((s, l) => s.forEach((v, j) => c.synflowMask[l]![j] || expect(v).toBe(0)));
    }
  });
});

describe('masks on deep networks', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  const spec = tinySpec({ network: RESIDUAL, pruning: { strategy: 'layerwise', rates: { conv: 0.1, dense: 0.2, output: 0.1 }, rounds: 1, rewindIteration: 0, method: 'synflow', densities: [0.5], synflowIterations: 10 } });
  const plan = planNetwork(RESIDUAL, SHAPE, CLASSES);
  const init = initialWeights(plan.layers, 9, 'kaiming');
  const maskOf = async (method: keyof typeof AT_INIT_METHODS, density: number, data: ScoreData | null, pool = prunablePool(plan.layers, spec)) =>
    await AT_INIT_METHODS[method].mask({ spec, plan, layers: plan.layers, init, density, pool, data, seed: 1 });

  it('SNIP, GraSP and SynFlow keep exactly round(N · density) of the pool; layers outside it and batch norm are untouched', async () => {
    const everything = prunablePool(plan.layers, spec);
    const convOnly = everything.filter((i) => plan.layers[i]!.kind === 'conv');
    // Counted here from the layers' shapes, not by keepCount (the function under test); the literals pin the pools.
    const poolWeights = (pool: number[]) => pool.reduce((a, i) => a + plan.layers[i]!.shape.reduce((p, n) => p * n, 1), 0);
    // conv1 3·3·3·4 = 108, s1b1 2 × 3·3·4·4 = 288, s2b1 3·3·4·8 + 3·3·8·8 = 864, shortcut 1·1·4·8 = 32; output 8·5 = 40.
    expect([poolWeights(everything), poolWeights(convOnly)]).toEqual([1332, 1292]);
    for (const method of ['snip', 'grasp', 'synflow'] as const)
      for (const pool of [everything, convOnly])
        for (const d of [0.5, 0.1, 0.013]) {
          const mask = await maskOf(method, d, sample(10, 4), pool);
          const counts = maskCounts(mask);
          expect(pool.reduce((a, i) => a + counts[i]!, 0), `${method} ${d}`).toBe(Math.round(poolWeights(pool) * d));
          plan.layers.forEach((l, i) => pool.includes(i) || expect(counts[i]).toBe(l.weights));
        }
    expect(init.norms).toEqual(initialWeights(plan.layers, 9, 'kaiming').norms);
  });

  it('SynFlow is data-free: the same mask for any sample or none; SNIP and GraSP are not', async () => {
    const a = sample(10, 4);
    const b = sample(10, 40);
    const m = await maskOf('synflow', 0.1, a);
    expect(await maskOf('synflow', 0.1, b)).toEqual(m);
    expect(await maskOf('synflow', 0.1, null)).toEqual(m);
    expect(await maskOf('snip', 0.1, a)).not.toEqual(await maskOf('snip', 0.1, b));
    expect(await maskOf('grasp', 0.1, a)).not.toEqual(await maskOf('grasp', 0.1, b));
  });

  it('ResNet-20 at θ0 (Kaiming): finite SynFlow, SNIP and GraSP scores, every layer scored, no tensor left behind', async () => {
    const deep = planNetwork({ conv: [], dense: [], dropout: 0, residual: { widths: [16, 32, 64], blocks: 3 }, batchNorm: true }, [32, 32, 3], 10);
    const w = initialWeights(deep.layers, 1, 'kaiming');
    const size = 32 * 32 * 3;
    const data = (n: number): ScoreData => ({ pixels: gaussian(n * size, 1, 3), oneHot: new Float32Array(n * 10).map((_, i) => (i % 11 === 0 ? 1 : 0)), count: n });
    const before = tf.memory().numTensors;
    const syn = await synflowScores(deep, w, denseMask(deep.layers));
    const snip = await snipScores(deep, w, data(10));
    const { hg } = await hessianGradientProduct(deep, w, data(4));
    expect(tf.memory().numTensors).toBe(before);
    for (const scores of [syn, snip, hg])
      scores.forEach((s, l) => {
        expect(s.every(Number.isFinite), deep.layers[l]!.name).toBe(true);
        expect(s.some((v) => v !== 0), deep.layers[l]!.name).toBe(true);
      });
  });
});

describe('GraSP in chunks', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  const RESNET20: NetworkSpec = { conv: [], dense: [], dropout: 0, residual: { widths: [16, 32, 64], blocks: 3 }, batchNorm: true };

  it('chunk sizes from the memory estimate: small networks keep the default 100 examples in one chunk, ResNet-20 and VGG-19 on 32x32x3 do not', () => {
    const lenet = planNetwork({ conv: [], dense: [300, 100], dropout: 0 }, [28, 28, 1], 10);
    const conv2 = planNetwork({ conv: [64, 64, 'pool'], dense: [256, 256], dropout: 0 }, [32, 32, 3], 10);
    const vgg19 = planNetwork({ conv: [64, 64, 'pool', 128, 128, 'pool', 256, 256, 256, 256, 'pool', 512, 512, 512, 512, 'pool', 512, 512, 512, 512], dense: [], dropout: 0, batchNorm: true, pooling: 'average' }, [32, 32, 3], 10);
    expect(graspChunkSize(lenet)).toBeGreaterThan(1000);
    expect(graspChunkSize(conv2)).toBeGreaterThanOrEqual(100);
    expect(graspChunkSize(planNetwork(RESNET20, [32, 32, 3], 10))).toBe(36);
    expect(graspChunkSize(vgg19)).toBe(8);
    for (const spec of [RESIDUAL, VGG]) expect(graspChunkSize(planNetwork(spec, SHAPE, CLASSES))).toBeGreaterThan(1000);
    const data = sample(100, 1);
    expect(sampleChunks(data, 36).map((p) => p.count)).toEqual([34, 33, 33]);
    expect(sampleChunks(data, 100)).toEqual([data]);
  });

  it('without batch norm chunking does not change the maths: g and Hg in chunks of 1, 3 and 4 equal one chunk of 10 up to float error', async () => {
    for (const [name, spec] of [
      ['residual', { ...RESIDUAL, batchNorm: false }],
      ['VGG-style (max-pool)', { ...VGG, batchNorm: false }],
    ] as const) {
      const plan = planNetwork(spec, SHAPE, CLASSES);
      const w = weightsFor(plan, 7);
      const data = sample(10, 8);
      const whole = await hessianGradientProduct(plan, w, data, GRASP_TEMPERATURE);
      for (const chunk of [1, 3, 4]) {
        const { g, hg } = await hessianGradientProduct(plan, w, data, GRASP_TEMPERATURE, { chunk });
        const [errG, errHg] = [worst(g, whole.g), worst(hg, whole.hg)];
        console.log(`GraSP ${name} without batch norm, chunks of ${chunk} of 10 against one chunk: g ${errG.toExponential(2)}, Hg ${errHg.toExponential(2)} of the layer's largest`);
        expect(errG).toBeLessThan(1e-5);
        expect(errHg).toBeLessThan(1e-5);
      }
    }
  });

  it('stops between chunks when its signal aborts', async () => {
    const plan = planNetwork(RESIDUAL, SHAPE, CLASSES);
    const stop = new AbortController();
    stop.abort();
    const before = tf.memory().numTensors;
    await expect(graspScores(plan, weightsFor(plan, 7), sample(4, 8), GRASP_TEMPERATURE, { chunk: 2, signal: stop.signal })).rejects.toBeInstanceOf(AbortedError);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('ResNet-20 at θ0 with the default 100 scoring examples: three chunks on wasm, peak tensor memory under the budget, exact count, no tensor left behind', async () => {
    const deep = planNetwork(RESNET20, [32, 32, 3], 10);
    const init = initialWeights(deep.layers, 1, 'kaiming');
    const n = 100;
    const data: ScoreData = { pixels: gaussian(n * 32 * 32 * 3, 1, 3), oneHot: new Float32Array(n * 10).map((_, i) => (i % 11 === 0 ? 1 : 0)), count: n };
    const spec = tinySpec({ network: RESNET20, pruning: { strategy: 'global', globalRate: 0.2, rates: { conv: 0.2, dense: 0.2, output: 0 }, rounds: 1, rewindIteration: 0, method: 'grasp', densities: [0.2] } });
    const pool = prunablePool(deep.layers, spec);
    const before = tf.memory().numTensors;
    const t0 = performance.now();
    let mask: Mask | undefined;
    const profile = await tf.profile(async () => {
      mask = await AT_INIT_METHODS.grasp.mask({ spec, plan: deep, layers: deep.layers, init, density: 0.2, pool, data, seed: 1 });
    });
    console.log(`GraSP ResNet-20, ${n} examples in chunks of ${sampleChunks(data, graspChunkSize(deep)).map((p) => p.count).join(', ')} on wasm: ${((performance.now() - t0) / 1000).toFixed(1)} s, peak tensor memory ${(profile.peakBytes / 1e9).toFixed(2)} GB`);
    expect(profile.peakBytes).toBeLessThan(GRASP_CHUNK_BYTES);
    expect(tf.memory().numTensors).toBe(before);
    const counts = maskCounts(mask!);
    // Counted from the shapes, not by keepCount (the function under test).
    expect(pool.reduce((a, i) => a + counts[i]!, 0)).toBe(Math.round(pool.reduce((a, i) => a + deep.layers[i]!.shape.reduce((p, n) => p * n, 1), 0) * 0.2));
    deep.layers.forEach((l, i) => pool.includes(i) || expect(counts[i]).toBe(l.weights));
  });
});

describe('runAtInit with SNIP on a residual network with batch norm', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('prunes θ0 to each density exactly and trains every network', async () => {
    const data = colourDataset(400, 200, 1); // 8x8 RGB, 3 classes: a bright 3x3 patch in the class's channel
    const spec = tinySpec({
      network: { ...RESIDUAL, init: 'kaiming' },
      training: { optimizer: 'adam', learningRate: 0.01, batchSize: 20, iterations: 60, evalInterval: 20, validationSize: 100 },
      pruning: { strategy: 'layerwise', rates: { conv: 0.1, dense: 0.2, output: 0.1 }, rounds: 1, rewindIteration: 0, method: 'snip', densities: [0.5, 0.2] },
    });
    const state: ResumeState = emptyResumeState();
    const runs: RunResult[] = [];
    await runAtInit({
      spec,
      data,
      executor: inlineExecutor(data),
      resume: emptyResumeState(),
      sink: {
        saveRewindWeights: (t, w) => state.rewindWeights.set(t, w),
        saveMask: (t, r, m) => state.masks.set(`${t}:${r}`, m),
        saveTrainedWeights: () => {},
        saveRun: (r) => runs.push(r),
        saveCheckpoint: () => {},
      },
    });
    const plan = planNetwork(spec.network, data.shape, data.numClasses);
    const total = plan.layers.reduce((a, l) => a + l.weights, 0);
    expect(runs).toHaveLength(3);
    expect(state.rewindWeights.get(0)!.norms!.some((n) => n.length > 0)).toBe(true);
    for (const [round, d] of [[1, 0.5], [2, 0.2]] as const) {
      const mask = state.masks.get(`0:${round}`)!;
      expect(maskCounts(mask).reduce((a, b) => a + b)).toBe(Math.round(total * d));
      const run = runs.find((r) => r.round === round)!;
      expect(run.weightsRemaining).toBeCloseTo(Math.round(total * d) / total, 9);
    }
    for (const r of runs) {
      console.log(`round ${r.round}: ${(100 * r.weightsRemaining).toFixed(1)}% of weights, test accuracy ${r.finalTestAccuracy.toFixed(3)}, val loss ${r.valLoss.toFixed(3)}`);
      expect(Number.isFinite(r.valLoss)).toBe(true);
      expect(r.iterations).toBe(60);
      expect(r.finalTestAccuracy).toBeGreaterThan(0.6); // chance is 1/3
    }
  });
});
