import type { DatasetInfo, ExperimentDetail, ExperimentSummary, RunResult, TicketRecord, EvalPoint, LayerInfo } from '../../src/shared/results';
import { parseSpec } from '../../src/shared/spec';
import { PRESETS } from '../../src/shared/presets';

/** Plausible LeNet-300-100 data for component tests: the shape the real services return. */
export const mnistInfo: DatasetInfo = {
  id: 'mnist',
  name: 'MNIST',
  source: 'builtin',
  shape: [28, 28, 1],
  numClasses: 10,
  classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  trainCount: 60000,
  testCount: 10000,
  trainClassCounts: [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
  testClassCounts: [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
  hash: 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90',
  createdAt: '2024-01-01T00:00:00.000Z',
  diskBytes: 55_000_000,
};

export const layers: LayerInfo[] = [
  { name: 'dense_1', kind: 'dense', shape: [784, 300], weights: 235200, macsPerExample: 235200 },
  { name: 'dense_2', kind: 'dense', shape: [300, 100], weights: 30000, macsPerExample: 30000 },
  { name: 'output', kind: 'output', shape: [100, 10], weights: 1000, macsPerExample: 1000 },
];

function curve(final: number, iterations: number): EvalPoint[] {
  const pts: EvalPoint[] = [];
  for (let it = 0; it <= iterations; it += 100) {
    const f = 1 - Math.exp(-it / 150);
    pts.push({ iteration: it, trainLoss: it === 0 ? null : 2.3 * (1 - f) + 0.1, valLoss: 2.3 * (1 - f) + 0.12, valAccuracy: 0.1 + (final - 0.1) * f, testAccuracy: 0.1 + (final - 0.1) * f - 0.002 });
  }
  return pts;
}

export function run(variant: RunResult['variant'], round: number, acc: number, trial = 0): RunResult {
  const wr = [1, 0.8, 0.64, 0.512][round] ?? 0.5;
  return {
    trial,
    variant,
    round,
    weightsRemaining: round === 0 ? 1 : wr * 0.995,
    layerDensity: [wr, wr, round === 0 ? 1 : 0.9 ** round],
    earlyStopIteration: 200 - round * 20,
    valLoss: 0.2,
    valAccuracy: acc,
    testAccuracy: acc - 0.003,
    finalValAccuracy: acc,
    finalTestAccuracy: acc - 0.004,
    iterations: 300,
    durationMs: 4000,
    curve: curve(acc, 300),
  };
}

const spec = parseSpec({ ...PRESETS[0]!.spec, training: { ...PRESETS[0]!.spec.training, iterations: 300 }, pruning: { ...PRESETS[0]!.spec.pruning, rounds: 3 }, controls: ['reinit'] });

export const experimentSummary: ExperimentSummary = {
  id: 'e1',
  name: 'LeNet quick',
  status: 'completed',
  datasetId: 'mnist',
  datasetHash: mnistInfo.hash,
  backend: 'wasm',
  createdAt: '2024-01-02T10:00:00.000Z',
  startedAt: '2024-01-02T10:00:01.000Z',
  finishedAt: '2024-01-02T10:01:00.000Z',
  error: null,
  sourceTicketId: null,
  roundsDone: 3,
  roundsPlanned: 3,
  diskBytes: 3_400_000,
  winningTicket: { round: 2, weightsRemaining: 0.6368, valAccuracy: 0.952, testAccuracy: 0.949, earlyStopIteration: 160 },
};

export const experimentDetail: ExperimentDetail = {
  ...experimentSummary,
  spec,
  specHash: 'f00d',
  versions: { lthLab: '0.1.0', tfjs: '4.22.0' },
  layers,
  runs: [run('ticket', 0, 0.95), run('ticket', 1, 0.951), run('ticket', 2, 0.952), run('reinit', 1, 0.94), run('reinit', 2, 0.93)],
  winningTicketReason: null,
};

export function ticket(id: string, round: number, extra: Partial<TicketRecord> = {}): TicketRecord {
  const r = run('ticket', round, 0.95);
  return {
    id,
    name: `LeNet round ${round}`,
    notes: '',
    tags: [],
    experimentId: 'e1',
    trial: 0,
    round,
    datasetId: 'mnist',
    network: spec.network,
    weightsRemaining: r.weightsRemaining,
    layerDensity: r.layerDensity,
    valAccuracy: r.valAccuracy,
    testAccuracy: r.testAccuracy,
    hasTrainedWeights: true,
    createdAt: '2024-01-02T10:02:00.000Z',
    diskBytes: 120_000,
    ...extra,
  };
}
