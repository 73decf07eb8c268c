import { describe, expect, it } from 'vitest';
import { chartRuns, runChart, trainLossLabel } from '../../src/renderer/src/charts/runs';
import { experimentDetail, run } from '../contract/fixtures';

describe('the run chart: training loss', () => {
  it('plots the loss per 10 steps where the run has it, and says which loss it is', () => {
    const r = { ...run('ticket', 1, 0.95), trainLossSteps: Array.from({ length: 30 }, (_, i) => 2 / (i + 1)) };
    const runs = chartRuns({ ...experimentDetail, runs: [r] }, null);
    const cfg = runChart(runs, { metric: 'trainLoss', smoothing: 0, logY: false, range: null, trials: 1 });
    const data = cfg.data.datasets[0]!.data as { x: number; y: number }[];
    expect(data).toHaveLength(30);
    expect(data.slice(0, 3).map((p) => p.x)).toEqual([10, 20, 30]);
    expect(data.at(-1)!.x).toBe(300);
    expect(cfg.data.datasets[0]!.label).toBe('training loss, mean of every 10 steps');
    // A run stored before the record: its evaluation-window means, labelled as such.
    const old = chartRuns(experimentDetail, null).slice(0, 1);
    expect(trainLossLabel(old)).toMatch(/mean since the previous evaluation/);
    expect((runChart(old, { metric: 'trainLoss', smoothing: 0, logY: false, range: null, trials: 1 }).data.datasets[0]!.data as unknown[]).length).toBe(3);
  });
});
