import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WeightSet } from '../../src/main/engine/types';
import type { EvalPoint, LayerInfo, RunResult } from '../../src/shared/results';
import { parseSpec, type ExperimentSpec, type Variant } from '../../src/shared/spec';
import { openStore, type Store } from '../../src/main/store';

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'lth-store-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A store in its own temp folder; call `done` in afterEach. */
export function tempStore(): { store: Store; dir: string; done: () => void } {
  const t = tempDir();
  const store = openStore({ dataDir: t.dir, dbPath: join(t.dir, 'lth.sqlite') });
  return {
    store,
    dir: t.dir,
    done: () => {
      store.close();
      t.cleanup();
    },
  };
}

/** A small MLP on 2x3x1 images: fc1 [6,5], fc2 [5,4], output [4,3]. */
export function mlpSpec(over: Partial<{ trials: number; rounds: number }> = {}): ExperimentSpec {
  return parseSpec({
    name: 'tiny mlp',
    dataset: 'tiny',
    network: { dense: [5, 4] },
    training: { learningRate: 0.001, batchSize: 4, iterations: 100, evalInterval: 10, validationSize: 10 },
    pruning: { rates: { conv: 0, dense: 0.2, output: 0.1 }, rounds: over.rounds ?? 3 },
    trials: over.trials ?? 2,
  });
}

export const MLP_SHAPE: [number, number, number] = [2, 3, 1];

export function mlpLayers(): LayerInfo[] {
  return [
    { name: 'fc1', kind: 'dense', shape: [6, 5], weights: 30, macsPerExample: 30 },
    { name: 'fc2', kind: 'dense', shape: [5, 4], weights: 20, macsPerExample: 20 },
    { name: 'output', kind: 'output', shape: [4, 3], weights: 12, macsPerExample: 12 },
  ];
}

/** conv 2, pool, conv 3 on 4x4x2 images, then fc 5, output 3 (as the engine's planNetwork names them). */
export function cnnSpec(): ExperimentSpec {
  return parseSpec({
    dataset: 'tiny-rgb',
    network: { conv: [2, 'pool', 3], dense: [5] },
    training: { learningRate: 0.001, batchSize: 4, iterations: 100 },
    pruning: { rates: { conv: 0.1, dense: 0.2, output: 0.1 }, rounds: 2 },
  });
}
export const CNN_SHAPE: [number, number, number] = [4, 4, 2];
export function cnnLayers(): LayerInfo[] {
  return [
    { name: 'conv1', kind: 'conv', shape: [3, 3, 2, 2], weights: 36, macsPerExample: 0 },
    { name: 'conv2', kind: 'conv', shape: [3, 3, 2, 3], weights: 54, macsPerExample: 0 },
    { name: 'fc1', kind: 'dense', shape: [12, 5], weights: 60, macsPerExample: 60 },
    { name: 'output', kind: 'output', shape: [5, 3], weights: 15, macsPerExample: 15 },
  ];
}

/** Deterministic pseudo-random floats with the awkward values mixed in: -0, denormals, extremes. */
export function randomWeights(layers: readonly LayerInfo[], seed = 1): WeightSet {
  let s = seed >>> 0 || 1;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const special = [-0, 1e-45, -1e-45, 1.1754942e-38, 3.4028234663852886e38, -3.4028234663852886e38, Infinity, -Infinity];
  const fill = (n: number) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = rnd() < 0.15 ? special[Math.floor(rnd() * special.length)]! : (rnd() - 0.5) * 2;
    return a;
  };
  return {
    kernels: layers.map((l) => fill(l.weights)),
    biases: layers.map((l) => fill(l.shape[l.shape.length - 1]!)),
  };
}

export function randomMask(layers: readonly LayerInfo[], keep: number, seed = 7): Uint8Array[] {
  let s = seed;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  return layers.map((l) => Uint8Array.from({ length: l.weights }, () => (rnd() < keep ? 1 : 0)));
}

export function maskedWeights(w: WeightSet, mask: readonly Uint8Array[]): WeightSet {
  return {
    kernels: w.kernels.map((k, i) => k.map((v, j) => (mask[i]![j] === 1 ? v : 0))),
    biases: w.biases.map((b) => b.slice()),
  };
}

export function density(mask: readonly Uint8Array[]): { layer: number[]; total: number } {
  const kept = mask.map((m) => m.reduce((a, v) => a + v, 0));
  const total = kept.reduce((a, v) => a + v, 0) / mask.reduce((a, m) => a + m.length, 0);
  return { layer: kept.map((k, i) => k / mask[i]!.length), total };
}

export function run(trial: number, variant: Variant, round: number, over: Partial<RunResult> = {}): RunResult {
  const curve: EvalPoint[] = [0, 10, 20].map((it, i) => ({
    iteration: it,
    trainLoss: i === 0 ? null : 1 / (it + 1),
    valLoss: 2 - i * 0.1 - round * 0.01,
    valAccuracy: 0.5 + i * 0.1,
    testAccuracy: 0.49 + i * 0.1,
  }));
  return {
    trial,
    variant,
    round,
    weightsRemaining: 0.8 ** round,
    layerDensity: [0.8 ** round, 0.8 ** round, 0.9 ** round],
    earlyStopIteration: 20,
    valLoss: 1.8,
    valAccuracy: 0.9 + round * 0.001,
    testAccuracy: 0.89 + round * 0.001,
    finalValAccuracy: 0.9,
    finalTestAccuracy: 0.89,
    iterations: 100,
    durationMs: 1234.5,
    curve,
    ...over,
  };
}

/** Bit-for-bit equality of float arrays (distinguishes -0 from 0; NaN equals NaN of the same bits). */
export function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

export function sameWeights(a: WeightSet, b: WeightSet): boolean {
  return (
    a.kernels.length === b.kernels.length &&
    a.biases.length === b.biases.length &&
    a.kernels.every((k, i) => sameBits(k, b.kernels[i]!)) &&
    a.biases.every((k, i) => sameBits(k, b.biases[i]!))
  );
}
