import { chooseWinningTicket } from '../../src/shared/aggregate';
import type { EvalPoint, ExperimentDetail, LayerInfo, RunResult } from '../../src/shared/results';
import type { Variant } from '../../src/shared/spec';

/** LeNet-300-100 as the engine reports it: prunable kernels only, MACs per example = weights. */
export const LENET_LAYERS: LayerInfo[] = [
  { name: 'dense_1', kind: 'dense', shape: [784, 300], weights: 235_200, macsPerExample: 235_200 },
  { name: 'dense_2', kind: 'dense', shape: [300, 100], weights: 30_000, macsPerExample: 30_000 },
  { name: 'output', kind: 'output', shape: [100, 10], weights: 1_000, macsPerExample: 1_000 },
];

export const ROUNDS = 5;
export const TRIALS = 3;
const ITERATIONS = 20_000;
const EVAL_INTERVAL = 1_000;

// Shaped like the paper's LeNet results: tickets gain a little as they shrink, both controls fall behind.
const ACCURACY: Partial<Record<Variant, number[]>> = {
  ticket: [0.978, 0.98, 0.981, 0.9815, 0.981],
  reinit: [0.978, 0.9768, 0.9745, 0.9716, 0.968],
  random: [0.978, 0.9752, 0.9722, 0.968, 0.9635],
};
const EARLY_STOP: Partial<Record<Variant, number[]>> = {
  ticket: [10_000, 9_000, 8_000, 7_000, 7_000],
  reinit: [10_000, 11_000, 12_000, 13_000, 14_000],
  random: [10_000, 12_000, 13_000, 14_000, 16_000],
};

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function curve(final: number, speed: number, rand: () => number): EvalPoint[] {
  const points: EvalPoint[] = [];
  for (let it = 0; it <= ITERATIONS; it += EVAL_INTERVAL) {
    const acc = final - (final - 0.1) * Math.exp(-it / speed) + (rand() - 0.5) * 0.002;
    points.push({ iteration: it, trainLoss: it === 0 ? null : 0.05 + 2 * Math.exp(-it / speed), valLoss: 0.07 + 2 * Math.exp(-it / speed), valAccuracy: acc, testAccuracy: acc - 0.001 });
  }
  return points;
}

export interface FixtureOptions {
  id?: string;
  name?: string;
  /** Added to every accuracy, to tell a second experiment apart. */
  shift?: number;
  seed?: number;
  /** More rounds than the table above: accuracies then follow a smooth paper-like shape. */
  rounds?: number;
}

function shapedAccuracy(variant: Variant, pm: number): number {
  const drop = Math.log10(1 / pm);
  if (variant === 'ticket') return 0.978 + 0.004 * Math.min(drop, 1) - 0.02 * Math.max(0, drop - 1.4) ** 2;
  return 0.978 - (variant === 'reinit' ? 0.012 : 0.018) * drop ** 1.5;
}

/** Controls run from round 1 on: at round 0 they would just be the dense network again. */
export function lenetExperiment(opts: FixtureOptions = {}): ExperimentDetail {
  const rand = mulberry32(opts.seed ?? 42);
  const shift = opts.shift ?? 0;
  const runs: RunResult[] = [];
  for (let trial = 0; trial < TRIALS; trial++) {
    for (let round = 0; round < (opts.rounds ?? ROUNDS); round++) {
      for (const variant of ['ticket', 'reinit', 'random'] as Variant[]) {
        if (variant !== 'ticket' && round === 0) continue;
        const layerDensity = [0.8 ** round, 0.8 ** round, 0.9 ** round];
        const kept = LENET_LAYERS.reduce((a, l, i) => a + l.weights * layerDensity[i]!, 0);
        const weightsRemaining = kept / LENET_LAYERS.reduce((a, l) => a + l.weights, 0);
        const base = opts.rounds ? shapedAccuracy(variant, weightsRemaining) : ACCURACY[variant]![round]!;
        const testAccuracy = base + shift + (rand() - 0.5) * 0.003;
        const valAccuracy = testAccuracy + (rand() - 0.5) * 0.001;
        const esBase = EARLY_STOP[variant]![Math.min(round, ROUNDS - 1)]!;
        const earlyStopIteration = esBase + Math.round((rand() - 0.5) * 4) * 500;
        runs.push({
          trial,
          variant,
          round,
          weightsRemaining,
          layerDensity,
          earlyStopIteration,
          valLoss: 0.07,
          valAccuracy,
          testAccuracy,
          finalValAccuracy: valAccuracy - 0.001,
          finalTestAccuracy: testAccuracy - 0.001,
          iterations: ITERATIONS,
          durationMs: 60_000,
          curve: curve(testAccuracy, earlyStopIteration / 12, rand),
        });
      }
    }
  }
  const verdict = chooseWinningTicket(runs, 0.002);
  return {
    id: opts.id ?? 'exp-lenet',
    name: opts.name ?? 'LeNet-300-100 MNIST',
    status: 'completed',
    datasetId: 'mnist',
    datasetHash: 'sha256-fixture',
    backend: 'wasm',
    createdAt: '2025-01-01T00:00:00.000Z',
    startedAt: '2025-01-01T00:00:01.000Z',
    finishedAt: '2025-01-01T01:00:00.000Z',
    error: null,
    sourceTicketId: null,
    roundsDone: opts.rounds ?? ROUNDS,
    roundsPlanned: opts.rounds ?? ROUNDS,
    diskBytes: 1_000_000,
    winningTicket: verdict.ticket,
    spec: {
      dataset: 'mnist',
      network: { preset: 'lenet-300-100', conv: [], dense: [300, 100], dropout: 0 },
      training: { optimizer: 'adam', learningRate: 0.0012, momentum: 0.9, batchSize: 60, iterations: ITERATIONS, evalInterval: EVAL_INTERVAL, validationSize: 5000, schedule: { warmupIterations: 0, milestones: [], gamma: 0.1 }, weightDecay: 0 },
      pruning: { strategy: 'layerwise', rates: { conv: 0.1, dense: 0.2, output: 0.1 }, globalRate: 0.2, rounds: ROUNDS, oneShot: false, rewindIteration: 0, reinitStart: 'rewind', retrain: 'rewind', method: 'magnitude', synflowIterations: 100 },
      ablations: [],
      supermasks: false,
      controls: ['reinit', 'random'],
      trials: TRIALS,
      seed: 0,
      engineVersion: 2,
      tolerance: 0.002,
    },
    specHash: 'spec-fixture',
    versions: { lthLab: '0.1.0', tfjs: '4.22.0' },
    layers: LENET_LAYERS,
    runs,
    winningTicketReason: verdict.reason,
  };
}

/** A 28x28 first-layer heat map: the centre of the digit keeps most connections, the border few. */
export function lenetHeatmap(): { height: number; width: number; counts: number[] } {
  const rand = mulberry32(7);
  const counts: number[] = [];
  for (let r = 0; r < 28; r++) {
    for (let c = 0; c < 28; c++) {
      const d = Math.hypot(r - 13.5, c - 13.5) / 14;
      counts.push(Math.max(0, Math.round(300 * 0.41 * Math.max(0, 1.6 - d * 1.4) + (rand() - 0.5) * 20)));
    }
  }
  return { height: 28, width: 28, counts };
}
