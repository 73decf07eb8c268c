import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/main/engine/backend';
import { invertSigns, shuffleMask } from '../../src/main/engine/ablations';
import { planNetwork, type NetworkPlan } from '../../src/main/engine/network';
import { AT_INIT_METHODS, keepTopScores, scoreData, type ScoreData } from '../../src/main/engine/pruning';
import { hessianGradientProduct, graspScores } from '../../src/main/engine/pruning/grasp';
import { snipScores } from '../../src/main/engine/pruning/snip';
import { synflowScores } from '../../src/main/engine/pruning/synflow';
import { prunablePool } from '../../src/main/engine/pruning/common';
import { signedConstant } from '../../src/main/engine/supermask';
import type { Mask, WeightSet } from '../../src/main/engine/types';
import { denseMask, glorotInit, maskCounts } from '../../src/main/engine/weights';
import { mulberry32 } from '../../src/main/engine/data/rng';
import { quadrantDataset, tinySpec } from '../engine/synthetic';

beforeAll(async () => {
  await initBackend('wasm');
});

/** A 4-input MLP: fc1 [4, 5] (ReLU), output [5, 3]; biases non-zero so they matter. */
function tiny(): { plan: NetworkPlan; w: WeightSet; data: ScoreData } {
  const plan = planNetwork({ conv: [], dense: [5], dropout: 0 }, [2, 2, 1], 3);
  const w = glorotInit(plan.layers, 5);
  const r = mulberry32(9);
  w.biases = w.biases.map((b) => b.map(() => (r.next() - 0.5) * 0.2));
  const n = 6;
  const pixels = Float32Array.from({ length: n * 4 }, () => r.next() * 2 - 1);
  const oneHot = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) oneHot[i * 3 + (i % 3)] = 1;
  return { plan, w, data: { pixels, oneHot, count: n } };
}

/** The same network's mean cross-entropy in float64, written out by hand: the reference the scores are checked against. */
function loss64(w: { k: number[][]; b: number[][] }, data: ScoreData, temperature = 1): number {
  let total = 0;
  for (let e = 0; e < data.count; e++) {
    const x = Array.from(data.pixels.subarray(e * 4, e * 4 + 4));
    const h = [0, 1, 2, 3, 4].map((j) => Math.max(0, w.b[0]![j]! + x.reduce((a, xi, i) => a + xi * w.k[0]![i * 5 + j]!, 0)));
    const z = [0, 1, 2].map((c) => (w.b[1]![c]! + h.reduce((a, hj, j) => a + hj * w.k[1]![j * 3 + c]!, 0)) / temperature);
    const m = Math.max(...z);
    const lse = m + Math.log(z.reduce((a, v) => a + Math.exp(v - m), 0));
    const y = [0, 1, 2].findIndex((c) => data.oneHot[e * 3 + c] === 1);
    total += lse - z[y]!;
  }
  return total / data.count;
}

const as64 = (w: WeightSet) => ({ k: w.kernels.map((k) => Array.from(k)), b: w.biases.map((b) => Array.from(b)) });

/** ∂L/∂kernels by central differences, in float64. */
function grad64(w: { k: number[][]; b: number[][] }, data: ScoreData, temperature = 1, h = 1e-6): number[][] {
  return w.k.map((k, l) =>
    k.map((_, j) => {
      const plus = structuredClone(w);
      const minus = structuredClone(w);
      plus.k[l]![j]! += h;
      minus.k[l]![j]! -= h;
      return (loss64(plus, data, temperature) - loss64(minus, data, temperature)) / (2 * h);
    }),
  );
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number) {
  const scale = Math.max(...Array.from(expected, Math.abs));
  expect(scale).toBeGreaterThan(0);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThan(rel * scale);
}

describe('pruning-at-init scores on a tiny network', () => {
  it('SNIP is |∂L/∂w ⊙ w| (finite differences in float64)', async () => {
    const { plan, w, data } = tiny();
    const got = await snipScores(plan, w, data);
    const g = grad64(as64(w), data);
    got.forEach((s, l) => expectClose(s, g[l]!.map((gi, j) => Math.abs(gi * w.kernels[l]![j]!)), 2e-3));
  });

  it("GraSP's Hessian-gradient product matches finite differences of the gradient along g, and its score is θ ⊙ Hg", async () => {
    const { plan, w, data } = tiny();
    for (const temperature of [1, 200]) {
      const { g, hg } = await hessianGradientProduct(plan, w, data, temperature);
      const w64 = as64(w);
      const g64 = grad64(w64, data, temperature);
      g.forEach((gl, l) => expectClose(gl, g64[l]!, 2e-3));
      // Hg = d/dε ∇L(θ + ε g) at 0: central differences of the float64 gradient.
      const eps = 1e-3 / Math.sqrt(g64.flat().reduce((a, v) => a + v * v, 0));
      const shifted = (sign: number) => ({ k: w64.k.map((k, l) => k.map((v, j) => v + sign * eps * g64[l]![j]!)), b: w64.b });
      const gp = grad64(shifted(1), data, temperature, 1e-5);
      const gm = grad64(shifted(-1), data, temperature, 1e-5);
      const fd = gp.map((k, l) => k.map((v, j) => (v - gm[l]![j]!) / (2 * eps)));
      // Measured (seeds 0-5 of weights and sample): at most 4e-7 at T = 1 and 5.9e-5 at T = 200, so 1e-3 catches a
      // 1% error in Hg (as a mean over N − 1 of 100 examples would make) that the earlier 2e-2 let through.
      hg.forEach((h, l) => expectClose(h, fd[l]!, 1e-3));
    }
    const scores = await graspScores(plan, w, data, 1);
    const { hg } = await hessianGradientProduct(plan, w, data, 1);
    scores.forEach((s, l) => expectClose(s, Array.from(hg[l]!, (h, j) => h * w.kernels[l]![j]!), 1e-6));
  });

  it("GraSP on a conv net (conv, max-pool, dense): Hg matches central differences of the gradient; SNIP's conv gradient matches GraSP's first pass", async () => {
    const spec = tinySpec({ network: { conv: [3, 'pool', 2], dense: [5], dropout: 0 } });
    const data = quadrantDataset(160, 10, 3);
    const plan = planNetwork(spec.network, data.shape, data.numClasses);
    const w = glorotInit(plan.layers, 4);
    const sample = scoreData(spec, data, 0, 3);
    const { g, hg } = await hessianGradientProduct(plan, w, sample, 1);
    // SNIP's first-order path (the engine's conv3x3 and tfjs max-pool) gives the same gradient as GraSP's twice-differentiable one.
    (await snipScores(plan, w, sample)).forEach((s, l) => expectClose(s, Array.from(g[l]!, (gi, j) => Math.abs(gi * w.kernels[l]![j]!)), 1e-4));
    const norm = Math.sqrt(g.reduce((a, gl) => a + gl.reduce((b, v) => b + v * v, 0), 0));
    const eps = 3e-4 / norm; // small: a larger step crosses ReLU and max-pool switches
    const at = (sign: number): WeightSet => ({ kernels: w.kernels.map((k, l) => k.map((v, j) => v + sign * eps * g[l]![j]!)), biases: w.biases });
    const gp = (await hessianGradientProduct(plan, at(1), sample, 1)).g;
    const gm = (await hessianGradientProduct(plan, at(-1), sample, 1)).g;
    // Float32 differences of float32 gradients: measured at most 3.4e-4 over seeds 0-4 of weights and data (a seed
    // whose step crosses a kink fails at any tolerance); 3e-3 still catches a 1% error in Hg, which 3e-2 did not.
    hg.forEach((h, l) => expectClose(h, Array.from(gp[l]!, (v, j) => (v - gm[l]![j]!) / (2 * eps)), 3e-3));
  });

  it('SynFlow is |θ| ⊙ ∂R/∂|θ| with R = 1ᵀ(|W2|ᵀ(|W1|ᵀ1 + |b1|) + |b2|) (hand computation: every entry |·|, biases too), up to one common factor', async () => {
    const { plan, w } = tiny();
    const mask = denseMask(plan.layers);
    const got = await synflowScores(plan, w, mask);
    const [k1, k2] = w.kernels.map((k) => Array.from(k, Math.abs)) as [number[], number[]];
    const b1 = Array.from(w.biases[0]!, Math.abs);
    expect(Math.min(...b1)).toBeGreaterThan(0); // non-zero biases: |b1| is part of what the output layer's scores see
    // Input ones: unit j of fc1 carries a_j = Σ_i |W1_ij| + |b1_j|; output c gets Σ_j a_j |W2_jc| + |b2_c|.
    const a = [0, 1, 2, 3, 4].map((j) => [0, 1, 2, 3].reduce((s, i) => s + k1[i * 5 + j]!, b1[j]!));
    const out = [0, 1, 2, 3, 4].map((j) => [0, 1, 2].reduce((s, c) => s + k2[j * 3 + c]!, 0));
    const s1 = k1.map((v, idx) => v * out[idx % 5]!);
    const s2 = k2.map((v, idx) => v * a[Math.floor(idx / 3)]!);
    const norm = (xs: ArrayLike<number>[]) => {
      const total = xs.reduce((t, x) => t + Array.from(x).reduce((p, v) => p + v, 0), 0);
      return xs.map((x) => Array.from(x, (v) => v / total));
    };
    const [e1, e2] = norm([s1, s2]);
    const [g1, g2] = norm(got);
    expectClose(g1!, e1!, 1e-5);
    expectClose(g2!, e2!, 1e-5);
  });

  it('keeps exactly round(n · density) with deterministic ties (earlier layer, then lower index)', () => {
    const scores = [Float32Array.from([1, 2, 2, 0]), Float32Array.from([2, 3])];
    const m = keepTopScores(scores, [new Uint8Array(4).fill(1), new Uint8Array(2).fill(1)], [0, 1], 3);
    expect(m.map((x) => Array.from(x))).toEqual([[0, 1, 1, 0], [0, 1]]);
    const m2 = keepTopScores(scores, [new Uint8Array(4).fill(1), new Uint8Array(2).fill(1)], [0, 1], 4);
    expect(m2.map((x) => Array.from(x))).toEqual([[0, 1, 1, 0], [1, 1]]);
  });
});

describe('methods, one shot to a density', () => {
  const spec = tinySpec({ pruning: { strategy: 'layerwise', rates: { conv: 0.1, dense: 0.2, output: 0.1 }, rounds: 3, rewindIteration: 0 } });
  const plan = planNetwork(spec.network, [8, 8, 1], 4);
  const init = glorotInit(plan.layers, 3);
  const pool = prunablePool(plan.layers, spec);
  const total = plan.layers.reduce((a, l) => a + l.weights, 0);
  const maskOf = async (method: keyof typeof AT_INIT_METHODS, data: ReturnType<typeof quadrantDataset>, density: number) =>
    await AT_INIT_METHODS[method].mask({ spec, plan, layers: plan.layers, init, density, pool, data: scoreData(spec, data, 0), seed: 1 });

  it('every method keeps exactly round(N · density)', async () => {
    for (const method of Object.keys(AT_INIT_METHODS) as (keyof typeof AT_INIT_METHODS)[]) {
      for (const d of [0.5, 0.1, 0.013]) {
        const kept = maskCounts(await maskOf(method, quadrantDataset(), d)).reduce((a, b) => a + b, 0);
        if (method === 'random') expect(Math.abs(kept - Math.round(total * d))).toBeLessThanOrEqual(plan.layers.length);
        else expect(kept).toBe(Math.round(total * d));
      }
    }
  });

  it('SynFlow is data-independent: the same mask for any dataset; SNIP is not', async () => {
    const a = quadrantDataset(400, 200, 1);
    const b = quadrantDataset(400, 200, 77);
    expect(await maskOf('synflow', a, 0.05)).toEqual(await maskOf('synflow', b, 0.05));
    expect(await maskOf('snip', a, 0.05)).not.toEqual(await maskOf('snip', b, 0.05));
  });
});

describe('ablations', () => {
  const plan = planNetwork({ conv: [], dense: [16, 12], dropout: 0 }, [8, 8, 1], 4);
  const mask = AT_INIT_METHODS['magnitude-init'].mask({
    spec: tinySpec(),
    plan,
    layers: plan.layers,
    init: glorotInit(plan.layers, 2),
    density: 0.2,
    pool: [0, 1, 2],
    data: null,
    seed: 0,
  }) as Mask; // magnitude at init is synchronous

  it('the layer-wise shuffle keeps every layer count and moves positions', () => {
    const shuffled = shuffleMask(mask, 42);
    expect(maskCounts(shuffled)).toEqual(maskCounts(mask));
    shuffled.forEach((m, i) => expect(Array.from(m)).not.toEqual(Array.from(mask[i]!)));
    expect(shuffleMask(mask, 42)).toEqual(shuffled);
  });

  it('sign inversion keeps magnitudes and flips every sign', () => {
    const w = glorotInit(plan.layers, 2);
    const inv = invertSigns(w);
    inv.kernels.forEach((k, l) =>
      k.forEach((v, j) => {
        expect(Math.abs(v)).toBe(Math.abs(w.kernels[l]![j]!));
        expect(Math.sign(v)).toBe(-Math.sign(w.kernels[l]![j]!));
      }),
    );
  });

  it("the signed constant is each layer's std times sign(θ0)", () => {
    const w = glorotInit(plan.layers, 2);
    const s = signedConstant(w);
    s.kernels.forEach((k, l) => {
      const x = Array.from(w.kernels[l]!);
      const mean = x.reduce((a, v) => a + v, 0) / x.length;
      const std = Math.sqrt(x.reduce((a, v) => a + (v - mean) ** 2, 0) / x.length);
      k.forEach((v, j) => expect(v).toBeCloseTo(Math.sign(x[j]!) * std, 6));
    });
  });
});
