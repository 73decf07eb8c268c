import { describe, expect, it } from 'vitest';
import { chartRuns, runChart, runLabel, smooth } from '../../src/renderer/src/charts/runs';
import { parseSpec } from '../../src/shared/spec';
import type { ExperimentDetail, RunResult } from '../../src/shared/results';

const curve = (from: number, to: number, step: number) =>
  Array.from({ length: (to - from) / step + 1 }, (_, i) => ({ iteration: from + i * step, trainLoss: 0.5, valLoss: 0.4, valAccuracy: 0.9, testAccuracy: 0.89 }));

function detail(runs: Partial<RunResult>[], extra: Partial<ExperimentDetail> = {}): ExperimentDetail {
  return {
    spec: { training: { iterations: 600 }, trials: 1 },
    runs: runs.map((r) => ({ trial: 0, variant: 'ticket', round: 0, iterations: 600, durationMs: 1000, curve: [], ...r })),
    partialRuns: [],
    ...extra,
  } as unknown as ExperimentDetail;
}

describe('run chart', () => {
  it('keeps the final point of a rewound run (rewind 100, 600 iterations: the axis reaches 600)', () => {
    const d = detail([{ round: 1, iterations: 500, curve: curve(100, 600, 100) }]);
    const runs = chartRuns(d, null);
    const cfg = runChart(runs, { metric: 'acc-loss', smoothing: 0, logY: false, range: null, trials: 1 });
    const x = cfg.options!.scales!['x'] as { max: number };
    expect(x.max).toBe(600);
    const acc = cfg.data.datasets[0]!.data as { x: number; y: number }[];
    expect(acc.at(-1)).toEqual({ x: 600, y: 0.9 });
  });

  it('shows unfinished runs (kept after cancel) beside stored ones, and overlays several', () => {
    const d = detail([{ round: 0, curve: curve(0, 600, 200) }], {
      partialRuns: [{ trial: 0, variant: 'ticket', round: 1, iteration: 250, totalIterations: 600, updatedAt: '', curve: [{ iteration: 200, valAccuracy: 0.8, testAccuracy: 0.8, valLoss: 0.5 }] }],
    });
    const runs = chartRuns(d, null);
    expect(runs.map((r) => [r.key, r.partial])).toEqual([['0:ticket:0', false], ['0:ticket:1', true]]);
    const cfg = runChart(runs, { metric: 'valAccuracy', smoothing: 0, logY: false, range: [100, 300], trials: 1 });
    expect(cfg.data.datasets).toHaveLength(2);
    expect(cfg.data.datasets[1]!.label).toContain('unfinished');
    expect((cfg.options!.scales!['x'] as { min: number; max: number })).toMatchObject({ min: 100, max: 300 });
  });

  it('accuracy axis never passes 100%; loss can be logarithmic; smoothing is an EMA', () => {
    const d = detail([{ curve: [{ iteration: 0, trainLoss: null, valLoss: 2, valAccuracy: 0.995, testAccuracy: 0.99 }] }]);
    const cfg = runChart(chartRuns(d, null), { metric: 'acc-loss', smoothing: 0, logY: true, range: null, trials: 1 });
    expect((cfg.options!.scales!['acc'] as { max: number }).max).toBe(1);
    expect((cfg.options!.scales!['loss'] as { type: string }).type).toBe('logarithmic');
    expect(smooth([1, 0, 0], 0.5)).toEqual([1, 0.5, 0.25]);
  });
});

describe('run labels name what the spec makes of a variant', () => {
  it("the supermasks' θ, and one run for random and shuffle asked together", () => {
    const spec = parseSpec({
      dataset: 'mnist',
      network: { dense: [8] },
      training: { learningRate: 0.01, batchSize: 10, iterations: 40 },
      pruning: { rates: { conv: 0, dense: 0.5, output: 0.2 }, rounds: 2, rewindIteration: 10 },
      controls: ['random'],
      ablations: ['shuffle'],
      supermasks: true,
      supermaskWeights: 'rewind',
    });
    expect(runLabel({ trial: 0, variant: 'random', round: 1 }, 1, spec)).toBe('round 1 · random pruning = shuffled mask (one run)');
    expect(runLabel({ trial: 0, variant: 'supermask', round: 1 }, 1, spec)).toBe('round 1 · supermask (mask ⊙ θk, k = 10)');
    const { supermaskWeights: _w, ...stored } = spec;
    expect(runLabel({ trial: 0, variant: 'supermask-signed', round: 1 }, 1, stored)).toBe('round 1 · signed supermask (of θ0)');
    expect(runLabel({ trial: 0, variant: 'shuffle', round: 1 })).toBe('round 1 · shuffled mask');
  });
});
