import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportFigures } from '../../src/main/export';
import { summarizeStability, suggestedRewindPoint, type StabilityPointResult } from '../../src/shared/analyses/stability';
import { readEarlyBirdSeries } from '../../src/shared/analyses/early-bird';
import { describeFigure, FigureOptionError } from '../../src/shared/figures';
import type { ExperimentDetail } from '../../src/shared/results';
import { checkWellFormedXml } from './helpers';
import { lenetExperiment } from './fixture';

function stabilityExperiment(sameStart: boolean): ExperimentDetail {
  const points: StabilityPointResult[] = [];
  const ks = [0, 100, 500];
  for (const trial of [0, 1]) {
    ks.forEach((k, point) => {
      const testError = [0.05, 0.05 + 0.04 / (point + 1) + trial * 0.002, 0.051];
      points.push({
        trial, point, label: sameStart ? `round ${point}` : `k = ${k}`, startIteration: sameStart ? 0 : k,
        weightsRemaining: sameStart ? 0.8 ** point : 1, alphas: [0, 0.5, 1], testError,
        barrier: Math.max(...testError) - (testError[0]! + testError[2]!) / 2, endpoints: [0.95, 0.949], durationMs: 10,
      });
    });
  }
  const summary = summarizeStability(points, 0.02);
  return { ...lenetExperiment(), runs: [], stability: { threshold: 0.02, points, summary, suggestedRewindPoint: suggestedRewindPoint(summary) } };
}

describe('early-bird figure', () => {
  it('one line per ticket run, a star where the rule held, the ε line; refuses an experiment without a series', () => {
    const d: ExperimentDetail = {
      ...lenetExperiment(),
      earlyBird: [
        { trial: 0, round: 0, series: { epsilon: 0.1, patience: 2, rule: 'consecutive', distanceOver: 'survivors', iterations: [10, 20, 30], distances: [0.3, 0.05, 0.04], detectedAt: 30, stopped: true } },
        { trial: 0, round: 1, series: { epsilon: 0.1, patience: 2, rule: 'consecutive', distanceOver: 'survivors', iterations: [10, 20, 30], distances: [0.3, 0.2, 0.04], detectedAt: null, stopped: false } },
      ],
    };
    const f = describeFigure('early-bird', { experiments: [d] }, { widthInches: 3.5 });
    expect(f.series).toEqual(['Round 0 · trial 0', 'Round 1 · trial 0', 'ε = 0.1']); // the fixture has 3 trials
    const stars = f.config.data.datasets.filter((s) => s.label === '_early bird');
    expect(stars).toHaveLength(1);
    expect(stars[0]!.data).toEqual([{ x: 30, y: 0.04 }]);
    expect(f.csv.rows).toHaveLength(6);
    expect(() => describeFigure('early-bird', { experiments: [lenetExperiment()] }, { widthInches: 3.5 })).toThrow(/--early-bird/);
  });

  it('the reference rule draws what it tests (the largest distance to the kept masks); old series are named and never drawn with new ones', () => {
    const ref: ExperimentDetail = {
      ...lenetExperiment(),
      id: 'e_ref',
      earlyBird: [
        {
          trial: 0,
          round: 0,
          series: { epsilon: 0.1, patience: 3, rule: 'reference', distanceOver: 'survivors', iterations: [10, 20, 30], distances: [0.3, 0.05, 0.04], spread: [0.3, 0.3, 0.08], detectedAt: 30, stopped: true },
        },
      ],
    };
    const f = describeFigure('early-bird', { experiments: [ref] }, { widthInches: 3.5 });
    expect((f.config.data.datasets[0]!.data as { y: number }[]).map((p) => p.y)).toEqual([0.3, 0.3, 0.08]);
    expect(f.config.data.datasets.find((s) => s.label === '_early bird')!.data).toEqual([{ x: 30, y: 0.08 }]);
    expect(f.title).not.toMatch(/before the distance fix/);
    expect(f.csv.columns).toContain('distanceOver');
    // A series read from a row stored before the fix (no rule, no distanceOver) is the old kind.
    const oldSeries = readEarlyBirdSeries({ epsilon: 0.1, patience: 2, iterations: [10, 20], distances: [0.05, 0.04], detectedAt: 20, stopped: true });
    expect(oldSeries).toMatchObject({ rule: 'consecutive', distanceOver: 'all' });
    const old: ExperimentDetail = { ...lenetExperiment(), id: 'e_old', earlyBird: [{ trial: 0, round: 0, series: oldSeries }] };
    const g = describeFigure('early-bird', { experiments: [old] }, { widthInches: 3.5 });
    expect(g.title).toMatch(/stored before the distance fix: distances over all weights/);
    expect(JSON.stringify(g.config.options)).toMatch(/Distance over all weights/);
    expect(() => describeFigure('early-bird', { experiments: [ref, old] }, { widthInches: 3.5 })).toThrow(/e_old were stored before the distance fix/);
  });
});

describe('instability figures', () => {
  it('path: one line per starting point, mean over trials; barrier: against k, or weights remaining for IMP rounds', () => {
    const d = stabilityExperiment(false);
    const path = describeFigure('stability-path', { experiments: [d] }, { widthInches: 3.5 });
    expect(path.series).toEqual(['k = 0', 'k = 100', 'k = 500']);
    const first = (path.config.data.datasets[0]!.data as { x: number; y: number }[]).map((p) => p.y);
    expect(first[1]).toBeCloseTo((0.09 + 0.092) / 2 * 100, 10);
    expect(path.csv.rows).toHaveLength(2 * 3 * 3);
    // Errors start at 0% (a flat path at 0% was drawn from -1 to 1).
    expect((path.config.options!.scales!.y as { suggestedMin?: number }).suggestedMin).toBe(0);
    const barrier = describeFigure('stability-barrier', { experiments: [d] }, { widthInches: 3.5 });
    expect(barrier.title).toMatch(/rewind point/);
    expect(barrier.series).toEqual(['Error barrier', 'Stable below 2%']);
    const rounds = describeFigure('stability-barrier', { experiments: [stabilityExperiment(true)] }, { widthInches: 3.5 });
    expect(rounds.title).toMatch(/weights remaining/);
  });

  it('refuses an IMP experiment with a clear message', () => {
    expect(() => describeFigure('stability-path', { experiments: [lenetExperiment()] }, { widthInches: 3.5 })).toThrow(FigureOptionError);
    expect(() => describeFigure('stability-path', { experiments: [lenetExperiment()] }, { widthInches: 3.5 })).toThrow(/not an instability analysis/);
  });

  it('exports SVG/CSV/LaTeX/Markdown, the tables holding the instability results', async () => {
    const out = mkdtempSync(join(tmpdir(), 'lth-stab-'));
    const files = await exportFigures([stabilityExperiment(false)], { figure: 'stability-barrier', formats: ['svg', 'csv', 'tex', 'md'], widthInches: 3.5, outDir: out });
    expect(files.map((f) => f.split('/').at(-1)).sort()).toEqual(['stability-barrier.csv', 'stability-barrier.md', 'stability-barrier.svg', 'stability-barrier.tex']);
    const names = checkWellFormedXml(readFileSync(join(out, 'stability-barrier.svg'), 'utf8'));
    expect(names[0]).toBe('svg');
    expect(names).not.toContain('image');
    const tex = readFileSync(join(out, 'stability-barrier.tex'), 'utf8');
    expect(tex).toMatch(/Instability/);
    expect(tex).toMatch(/k = 100 & 100 & 100\.0 & 2 &/);
    const md = readFileSync(join(out, 'stability-barrier.md'), 'utf8');
    expect(md.split('\n')[0]).toBe('| Starting point | k | Weights remaining (%) | Trials | Barrier (%) | Min–max (%) | Stable |');
    // Without batch norm the caption says nothing of its statistics.
    expect(tex).not.toMatch(/Batch-norm/);
  });

  it("a batch-norm network's LaTeX caption says how the statistics on the path were taken", async () => {
    const base = stabilityExperiment(false);
    const bn = (stats?: 'reestimate'): ExperimentDetail => ({
      ...base,
      spec: { ...base.spec, network: { ...base.spec.network, batchNorm: true }, stability: { rewindPoints: [0, 100, 500], interpolationPoints: 2, threshold: 0.02, ...(stats ? { batchNormStats: stats } : {}) } },
    });
    const caption = async (ds: ExperimentDetail[]) => {
      const out = mkdtempSync(join(tmpdir(), 'lth-stab-'));
      await exportFigures(ds, { figure: 'stability-barrier', formats: ['tex'], widthInches: 3.5, outDir: out });
      return /\\caption\{(.*)\}$/m.exec(readFileSync(join(out, 'stability-barrier.tex'), 'utf8'))![1]!;
    };
    expect(await caption([bn('reestimate')])).toMatch(/Batch-norm statistics re-estimated for each network on the path from 4,096 training examples\.$/);
    expect(await caption([bn()])).toMatch(/Batch-norm statistics interpolated like the weights\.$/);
    expect(await caption([bn(), { ...bn('reestimate'), id: 'e_other', name: 'other' }])).toMatch(/differ between the experiments/);
  });
});

describe('mask overlap heat map', () => {
  const m = {
    masks: [{ ref: 'ticket:a', label: 'A' }, { ref: 'ticket:b', label: 'B' }, { ref: 'ticket:c', label: 'C' }],
    layers: ['fc1'],
    iou: [[1, 0.8, 0.5], [0.8, 1, 0.6], [0.5, 0.6, 1]],
    hamming: [[0, 0.1, 0.3], [0.1, 0, 0.2], [0.3, 0.2, 0]],
    iouPerLayer: [[[1], [0.8], [0.5]], [[0.8], [1], [0.6]], [[0.5], [0.6], [1]]],
    hammingPerLayer: [[[0], [0.1], [0.3]], [[0.1], [0], [0.2]], [[0.3], [0.2], [0]]],
  };
  it('one cell per pair, coloured on the off-diagonal range, the matrix as CSV', () => {
    const f = describeFigure('overlap', { experiments: [], overlap: m }, { widthInches: 3.5 });
    expect(f.csv.rows).toHaveLength(9);
    const colours = f.config.data.datasets[0]!.backgroundColor as string[];
    expect(colours[1]).not.toBe(colours[2]); // 0.8 and 0.5 at the two ends of the scale
    expect(colours[0]).toBe('#d9d9d9'); // the diagonal is 1 by definition, drawn neutral
    expect(f.config.options!.plugins!.title!.text).toMatch(/from 0\.50 .* to 0\.80/);
    expect(() => describeFigure('overlap', { experiments: [] }, { widthInches: 3.5 })).toThrow(/two or more masks/);
  });
  it('exports a vector SVG and refuses tex/md for it', async () => {
    const out = mkdtempSync(join(tmpdir(), 'lth-ov-'));
    const files = await exportFigures([], { figure: 'overlap', formats: ['svg', 'csv'], widthInches: 3.5, outDir: out, overlap: m });
    expect(files).toHaveLength(2);
    expect(checkWellFormedXml(readFileSync(join(out, 'overlap.svg'), 'utf8'))).not.toContain('image');
    await expect(exportFigures([], { figure: 'overlap', formats: ['tex'], widthInches: 3.5, outDir: out, overlap: m })).rejects.toThrow(/overlap figure writes svg, pdf, png and csv/);
  });
});
