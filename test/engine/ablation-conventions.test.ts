import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/main/engine/backend';
import { runImp } from '../../src/main/engine/imp';
import { runAtInit } from '../../src/main/engine/at-init';
import { inlineExecutor } from '../../src/main/engine/executor';
import { planNetwork } from '../../src/main/engine/network';
import { trialSeed } from '../../src/main/engine/random';
import { evaluateUntrained, runSupermasks } from '../../src/main/engine/supermask';
import { emptyResumeState, type Mask, type ResumeState, type WeightSet } from '../../src/main/engine/types';
import { denseMask, initialWeights } from '../../src/main/engine/weights';
import { magnitudeMask } from '../../src/main/engine/prune';
import { AT_INIT_METHODS, keepCount, prunablePool, scoreData } from '../../src/main/engine/pruning';
import { snipScores } from '../../src/main/engine/pruning/snip';
import { specHash } from '../../src/main/store';
import { specFromFlags } from '../../src/main/cli/spec-from-flags';
import { resultsTable } from '../../src/main/cli/table';
import { ablationLines, ablationVerdicts } from '../../src/shared/ablation-verdict';
import { seriesLabel } from '../../src/shared/figures/series';
import { resultsRows } from '../../src/shared/figures/results-table';
import { specVariants } from '../../src/shared/variants';
import { parseSpec, SpecError, type ExperimentSpec } from '../../src/shared/spec';
import type { ExperimentDetail, RunResult } from '../../src/shared/results';
import { memorySink } from './memory-sink';
import { quadrantDataset, tinySpec } from './synthetic';

const data = quadrantDataset();

beforeAll(async () => {
  await initBackend('wasm');
});

/** Zhou et al.'s signed constant, written out here from its definition: sign(w) · std of the layer's w (population std). */
function signedByHand(w: WeightSet): WeightSet {
  return {
    ...w,
    kernels: w.kernels.map((k) => {
      const n = k.length;
      const mean = k.reduce((a, v) => a + v, 0) / n;
      const std = Math.sqrt(k.reduce((a, v) => a + (v - mean) ** 2, 0) / n);
      return Float32Array.from(k, (v) => Math.sign(v) * std);
    }),
  };
}

describe('supermasks under late rewinding', () => {
  // IMP with rewinding to k = 10: the supermasks of a new spec apply to θ10, those of a stored spec without the field to θ0.
  const base = { pruning: { strategy: 'layerwise' as const, rates: { conv: 0.1, dense: 0.5, output: 0.2 }, rounds: 2, rewindIteration: 10 }, supermasks: true };
  const stored = tinySpec(base);
  const fresh = tinySpec({ ...base, supermaskWeights: 'rewind' });
  let state: ReturnType<typeof memorySink>;

  beforeAll(async () => {
    state = memorySink();
    await runImp({ spec: stored, data, executor: inlineExecutor(data), sink: state.sink, resume: emptyResumeState() });
  });

  async function supermasks(spec: ExperimentSpec): Promise<RunResult[]> {
    const plan = planNetwork(spec.network, data.shape, data.numClasses);
    const out = memorySink();
    await runSupermasks({
      spec,
      plan,
      data,
      sink: out.sink,
      masks: state.masks,
      done: [],
      initOf: (t) => initialWeights(plan.layers, trialSeed(spec, t), spec.network.init),
      rewindOf: (t) => state.rewind.get(t)!,
    });
    return out.runs;
  }

  it('a new spec (the CLI writes the field) scores mask ⊙ θk and the signed constant of θk, std taken from θk', async () => {
    expect(specFromFlags({ supermasks: true, rewind: 100 }).supermaskWeights).toBe('rewind');
    expect(specFromFlags({ supermasks: true, supermaskWeights: 'init' }).supermaskWeights).toBe('init');
    expect(specFromFlags({}).supermaskWeights).toBeUndefined();

    const theta0 = initialWeights(planNetwork(fresh.network, data.shape, data.numClasses).layers, trialSeed(fresh, 0));
    const thetaK = state.rewind.get(0)!;
    expect(thetaK.kernels[0]).not.toEqual(theta0.kernels[0]);
    const mask = state.masks.get('0:1')!;
    const runs = await supermasks(fresh);
    const at = (v: string) => runs.find((r) => r.variant === v && r.round === 1 && r.trial === 0)!;
    expect(seriesLabel(['e'], 0, 'supermask-signed', fresh)).toBe('Untrained: signed constant (of θk, k = 10)');

    const plainK = await evaluateUntrained(fresh, data, 0, thetaK, mask);
    const signedK = await evaluateUntrained(fresh, data, 0, signedByHand(thetaK), mask);
    const plain0 = await evaluateUntrained(fresh, data, 0, theta0, mask);
    const signed0 = await evaluateUntrained(fresh, data, 0, signedByHand(theta0), mask);
    expect(plainK.valLoss).not.toBeCloseTo(plain0.valLoss!, 6);
    expect(signedK.valLoss).not.toBeCloseTo(signed0.valLoss!, 6);
    expect(at('supermask').valLoss).toBeCloseTo(plainK.valLoss!, 6);
    expect(at('supermask').testAccuracy).toBe(plainK.testAccuracy);
    expect(at('supermask-signed').valLoss).toBeCloseTo(signedK.valLoss!, 6);
    expect(at('supermask-signed').testAccuracy).toBe(signedK.testAccuracy);
  });

  it('a stored spec without the field keeps θ0, and its hash does not change', async () => {
    expect(stored.supermaskWeights).toBeUndefined();
    const theta0 = initialWeights(planNetwork(stored.network, data.shape, data.numClasses).layers, trialSeed(stored, 0));
    const mask = state.masks.get('0:1')!;
    const runs = await supermasks(stored);
    const at = (v: string) => runs.find((r) => r.variant === v && r.round === 1 && r.trial === 0)!;
    expect(at('supermask').valLoss).toBeCloseTo((await evaluateUntrained(stored, data, 0, theta0, mask)).valLoss!, 6);
    expect(at('supermask-signed').valLoss).toBeCloseTo((await evaluateUntrained(stored, data, 0, signedByHand(theta0), mask)).valLoss!, 6);
  });

  it('the hash of a spec stored before the field existed is unchanged (computed by the code before the change)', () => {
    const spec = parseSpec({
      dataset: 'mnist',
      network: { conv: [], dense: [300, 100] },
      training: { learningRate: 0.0012, batchSize: 60, iterations: 1000 },
      pruning: { rates: { conv: 0, dense: 0.2, output: 0.1 }, rounds: 3, rewindIteration: 100 },
      controls: ['reinit', 'random'],
      ablations: ['shuffle', 'sign'],
      supermasks: true,
      trials: 2,
    });
    expect(specHash(spec)).toBe('49df9964ee4ea6f6abcefb1bca3844daf21d18606359e503d816f6bf7cb11f1b');
  });

  it('the field is refused without supermasks, naming it', () => {
    expect(() => tinySpec({ supermaskWeights: 'rewind' })).toThrow(/supermaskWeights: only with supermasks/);
  });
});

describe("the 'shuffle' ablation and the 'random' control are one distribution", () => {
  const spec = tinySpec({ pruning: { strategy: 'layerwise', rates: { conv: 0.1, dense: 0.5, output: 0.2 }, rounds: 2, rewindIteration: 0 }, controls: ['random'], ablations: ['shuffle'] });

  it('asked for together, one run trains per round, resume trains nothing more, and every table names both', async () => {
    const s = memorySink();
    await runImp({ spec, data, executor: inlineExecutor(data), sink: s.sink, resume: emptyResumeState() });
    expect(s.runs.map((r) => `${r.variant}:${r.round}`).sort()).toEqual(['random:1', 'ticket:0', 'ticket:1']);
    expect(specVariants(spec)).toEqual(['ticket', 'random']);

    // Resuming the finished experiment trains nothing: the variant list and the lookups agree on 'random'.
    const resume: ResumeState = { ...emptyResumeState(), runs: [...s.runs], masks: new Map(s.masks), rewindWeights: new Map(s.rewind), trainedWeights: new Map(s.trained) };
    const again = memorySink();
    await runImp({ spec, data, executor: inlineExecutor(data), sink: again.sink, resume });
    expect(again.runs).toEqual([]);

    const detail = { id: 'e', name: 'e', spec, runs: s.runs, layers: planNetwork(spec.network, data.shape, data.numClasses).layers, winningTicket: null } as unknown as ExperimentDetail;
    expect(resultsTable(detail)).toMatch(/random = shuffle \(one run\)/);
    expect(seriesLabel(['e'], 0, 'random', spec)).toBe('Random pruning = Layer-wise shuffle (one run)');
    expect(resultsRows([detail]).find((r) => r.variant === 'random')!.variantLabel).toMatch(/Random pruning = Layer-wise shuffle/);
    const verdicts = ablationVerdicts(s.runs, spec);
    expect(verdicts[0]).toMatchObject({ ablation: 'shuffle', runsOf: 'random' });
    expect(verdicts[0]!.rounds).toHaveLength(1);
    expect(ablationLines(verdicts, spec.tolerance)[0]).toMatch(/shuffle \(= random: the same distribution, one run trained for both\)/);
  });
});

/** The positions of the `count` smallest values of `score` among `eligible` (flattened over `layers`), by a plain sort. */
function lowest(scores: readonly Float32Array[], eligible: Mask, layers: readonly number[], count: number): Set<string> {
  const all: { key: string; s: number }[] = [];
  for (const i of layers) scores[i]!.forEach((s, j) => eligible[i]![j] && all.push({ key: `${i}:${j}`, s }));
  all.sort((a, b) => a.s - b.s);
  return new Set(all.slice(0, count).map((x) => x.key));
}
const kept = (mask: Mask, layers: readonly number[]) => new Set(layers.flatMap((i) => [...mask[i]!].flatMap((v, j) => (v ? [`${i}:${j}`] : []))));

describe('score inversion', () => {
  const plan = planNetwork(tinySpec().network, data.shape, data.numClasses);
  const layers = plan.layers;

  it("IMP: keeps exactly the smallest-magnitude survivors, each layer as many as the method's mask", () => {
    const spec = tinySpec({ pruning: { strategy: 'layerwise', rates: { conv: 0.1, dense: 0.5, output: 0.2 }, rounds: 3, rewindIteration: 0 } });
    const trained = initialWeights(layers, 11);
    const current = magnitudeMask(layers, initialWeights(layers, 12), denseMask(layers), denseMask(layers), 1, spec.pruning);
    const inverted = magnitudeMask(layers, trained, current, denseMask(layers), 2, spec.pruning, true);
    const abs = trained.kernels.map((k) => Float32Array.from(k, Math.abs));
    layers.forEach((l, i) => {
      // round(n0 · (1 − p)^2), n0 the dense count: what the method keeps at round 2.
      const count = Math.round(l.weights * (1 - spec.pruning.rates[l.kind]) ** 2);
      expect(kept(inverted, [i])).toEqual(lowest(abs, current, [i], count));
    });
  });

  it('IMP global: the smallest magnitudes across the pooled layers, at the global count', () => {
    const spec = tinySpec({ pruning: { strategy: 'global', globalRate: 0.4, rates: { conv: 0.1, dense: 0.5, output: 0 }, rounds: 2, rewindIteration: 0 } });
    const trained = initialWeights(layers, 13);
    const inverted = magnitudeMask(layers, trained, denseMask(layers), denseMask(layers), 1, spec.pruning, true);
    const pool = layers.map((l, i) => (l.kind === 'output' ? -1 : i)).filter((i) => i >= 0);
    const count = Math.round(pool.reduce((a, i) => a + layers[i]!.weights, 0) * 0.6);
    expect(kept(inverted, pool)).toEqual(lowest(trained.kernels.map((k) => Float32Array.from(k, Math.abs)), denseMask(layers), pool, count));
    const out = layers.length - 1;
    expect(inverted[out]!.every((v) => v === 1)).toBe(true);
  });

  it('magnitude at init and SNIP: the lowest scores over the pool, at the count the method keeps', async () => {
    const spec = tinySpec({ pruning: { strategy: 'layerwise', rates: { conv: 0.1, dense: 0.2, output: 0.1 }, rounds: 1, rewindIteration: 0, method: 'snip', densities: [0.3] }, ablations: ['invert'] });
    const init = initialWeights(layers, trialSeed(spec, 0));
    const pool = prunablePool(layers, spec);
    const count = Math.round(layers.reduce((a, l) => a + l.weights, 0) * 0.3);
    expect(keepCount(layers, pool, 0.3)).toBe(count);
    const ctx = { spec, plan, layers, init, density: 0.3, pool, seed: 1, invert: true };

    const mag = await AT_INIT_METHODS['magnitude-init'].mask({ ...ctx, data: null });
    expect(kept(mag, pool)).toEqual(lowest(init.kernels.map((k) => Float32Array.from(k, Math.abs)), denseMask(layers), pool, count));

    const sample = scoreData(spec, data, 0);
    const scores = await snipScores(plan, init, sample);
    const snipInverted = await AT_INIT_METHODS.snip.mask({ ...ctx, data: sample });
    const got = kept(snipInverted, pool);
    expect(got.size).toBe(count);
    // SNIP scores can tie (dead units score 0): every kept score is at most every dropped one.
    const flat = pool.flatMap((i) => [...scores[i]!].map((s, j) => ({ s, key: `${i}:${j}` })));
    const maxKept = Math.max(...flat.filter((x) => got.has(x.key)).map((x) => x.s));
    const minDropped = Math.min(...flat.filter((x) => !got.has(x.key)).map((x) => x.s));
    expect(maxKept).toBeLessThanOrEqual(minDropped);
    const ticket = await AT_INIT_METHODS.snip.mask({ ...ctx, data: sample, invert: false });
    expect(kept(ticket, pool)).not.toEqual(got);
  });

  it('trains beside the method in both drivers; refused where there is no score to invert', async () => {
    const atInit = tinySpec({ pruning: { strategy: 'layerwise', rates: { conv: 0.1, dense: 0.2, output: 0.1 }, rounds: 1, rewindIteration: 0, method: 'magnitude-init', densities: [0.3] }, ablations: ['invert'] });
    const a = memorySink();
    await runAtInit({ spec: atInit, data, executor: inlineExecutor(data), sink: a.sink, resume: emptyResumeState() });
    const inv = a.runs.find((r) => r.variant === 'invert' && r.round === 1)!;
    expect(inv.weightsRemaining).toBe(a.runs.find((r) => r.variant === 'ticket' && r.round === 1)!.weightsRemaining);

    const imp = tinySpec({ pruning: { strategy: 'layerwise', rates: { conv: 0.1, dense: 0.5, output: 0.2 }, rounds: 2, rewindIteration: 0 }, ablations: ['invert'] });
    const b = memorySink();
    await runImp({ spec: imp, data, executor: inlineExecutor(data), sink: b.sink, resume: emptyResumeState() });
    const impInv = b.runs.find((r) => r.variant === 'invert' && r.round === 1)!;
    expect(impInv.layerDensity).toEqual(b.runs.find((r) => r.variant === 'ticket' && r.round === 1)!.layerDensity);

    expect(() => tinySpec({ pruning: { strategy: 'layerwise', rates: { conv: 0.1, dense: 0.2, output: 0.1 }, rounds: 1, rewindIteration: 0, method: 'random', densities: [0.3] }, ablations: ['invert'] })).toThrow(SpecError);
    expect(() => tinySpec({ pruning: { strategy: 'layerwise', rates: { conv: 0.1, dense: 0.2, output: 0.1 }, rounds: 1, rewindIteration: 0, method: 'random', densities: [0.3] }, ablations: ['invert'] })).toThrow(/ablations: 'invert' keeps the lowest-scoring weights: random pruning has no score/);
  });
});
