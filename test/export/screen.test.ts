import { describe, expect, it } from 'vitest';
import { renderSvg as render } from '../../src/main/export';
import { describeFigure, figureStyle, FIGURE_KINDS, type FigureKind } from '../../src/shared/figures';
import { summarizeStability } from '../../src/shared/analyses/stability';
import { lenetExperiment, lenetHeatmap } from './fixture';

// The analyses' figures read their own results: the fixture carries an instability sweep and early-bird series too.
const stabilityPoints = [0, 100, 500].map((k, point) => ({
  trial: 0, point, label: `k = ${k}`, startIteration: k, weightsRemaining: 1, alphas: [0, 0.5, 1], testError: [0.05, 0.07 - point * 0.01, 0.05], barrier: 0.02 - point * 0.01, endpoints: [0.95, 0.95] as [number, number], durationMs: 1,
}));
const exp = {
  ...lenetExperiment(),
  stability: { threshold: 0.02, points: stabilityPoints, summary: summarizeStability(stabilityPoints, 0.02), suggestedRewindPoint: 100 },
  earlyBird: [{ trial: 0, round: 0, series: { epsilon: 0.1, patience: 2, rule: 'consecutive' as const, distanceOver: 'survivors' as const, iterations: [100, 200, 300], distances: [0.2, 0.05, 0.04], detectedAt: 300, stopped: false } }],
};
const mask = { ...lenetHeatmap(), ticket: { id: 't1', trial: 0, round: 4, weightsRemaining: 0.41 } };
const dark = { ink: '#e6e8eb', grid: '#30353c', fontFamily: 'system-ui, sans-serif' };

interface Axis {
  title: { color: string; font: { size: number; family: string } };
  ticks: { color: string; font: { size: number } };
  grid: { color?: string };
}
const overlap = {
  masks: [{ ref: 'ticket:a', label: 'A' }, { ref: 'ticket:b', label: 'B' }],
  layers: ['fc1'],
  iou: [[1, 0.7], [0.7, 1]],
  hamming: [[0, 0.2], [0.2, 0]],
  iouPerLayer: [[[1], [0.7]], [[0.7], [1]]],
  hammingPerLayer: [[[0], [0.2]], [[0.2], [0]]],
};
const axes = (kind: FigureKind, medium?: 'print' | 'screen') => {
  const spec = describeFigure(kind, { experiments: [exp], mask, overlap }, { widthInches: 3.5, medium, theme: dark });
  return { spec, options: spec.config.options as unknown as { responsive: boolean; maintainAspectRatio?: boolean; scales: Record<string, Axis>; plugins: { legend: { labels?: { color: string } } } } };
};

describe('figure media: print (the paper) and screen (the window)', () => {
  it('print is the default, and the theme is ignored in print', () => {
    // Skia numbers clip paths per process: the ids differ between two drawings, nothing else does.
    const renderSvg = (spec: Parameters<typeof render>[0]) => render(spec).replace(/cl_[0-9a-z]+/g, 'cl_N');
    for (const kind of ['accuracy', 'curves', 'mask'] as FigureKind[]) {
      const plain = renderSvg(describeFigure(kind, { experiments: [exp], mask }, { widthInches: 3.5 }));
      const print = renderSvg(describeFigure(kind, { experiments: [exp], mask }, { widthInches: 3.5, medium: 'print', theme: dark }));
      expect(print).toBe(plain);
    }
  });

  it.each(FIGURE_KINDS)('%s on screen: theme ink and grid, scaled fonts, fills its panel; same data and series', (kind) => {
    const print = axes(kind, 'print');
    const screen = axes(kind, 'screen');
    expect(screen.spec.series).toEqual(print.spec.series);
    expect(screen.spec.csv).toEqual(print.spec.csv);
    expect(screen.options.responsive).toBe(true);
    expect(screen.options.maintainAspectRatio).toBe(false);
    expect(print.options.responsive).toBe(false);
    for (const [name, axis] of Object.entries(screen.options.scales)) {
      const p = print.options.scales[name]!;
      expect(p.title.color).toBe('#000000');
      expect(axis.title.color).toBe(dark.ink);
      expect(axis.ticks.color).toBe(dark.ink);
      expect(axis.title.font.family).toBe(dark.fontFamily);
      expect(axis.ticks.font.size).toBeGreaterThan(p.ticks.font.size * 1.3);
      if (p.grid.color === 'rgba(0, 0, 0, 0.12)') expect(axis.grid.color).toBe(dark.grid);
    }
    if (screen.options.plugins.legend.labels) expect(screen.options.plugins.legend.labels.color).toBe(dark.ink);
  });

  it('keeps the black legend symbols of factored legends readable on a dark background', () => {
    const two = [exp, { ...exp, id: 'e2', name: 'Other' }];
    const spec = describeFigure('accuracy', { experiments: two }, { widthInches: 3.5, medium: 'screen', theme: dark });
    const svg = render(spec);
    expect(svg).toMatch(/<path[^>]*stroke="#e6e8eb"/i);
    expect(figureStyle({ widthInches: 3.5, medium: 'screen' }, 0.78).stroke(0.5)).toBe(1);
  });
});
