import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { aggregateRuns } from '../../src/shared/aggregate';
import { FigureOptionError, describeFigure, toCsv } from '../../src/shared/figures';
import { lenetExperiment, lenetHeatmap, TRIALS } from './fixture';

const exp = lenetExperiment();
const single = { widthInches: 3.5 };

interface Ds {
  label: string;
  data: { x: number; y: number }[] | number[];
  borderColor?: string;
  borderDash?: number[];
  pointStyle?: string;
  fill?: unknown;
}
const datasetsOf = (spec: ReturnType<typeof describeFigure>) => (spec.config.data.datasets as unknown as Ds[]);

describe('figure descriptions (shared, pure data)', () => {
  it('plots mean accuracy per round and variant against weights remaining, with min/max bands', () => {
    const spec = describeFigure('accuracy', { experiments: [exp] }, single);
    expect(spec.series).toEqual(['Winning ticket', 'Random reinit', 'Random pruning']);
    const ds = datasetsOf(spec);
    const lines = ds.filter((d) => spec.series.includes(d.label));
    for (const agg of aggregateRuns(exp.runs)) {
      const line = lines[['ticket', 'reinit', 'random'].indexOf(agg.variant)]!;
      const point = (line.data as { x: number; y: number }[]).find((p) => Math.abs(p.x - agg.weightsRemaining.mean * 100) < 1e-9);
      expect(point?.y).toBeCloseTo(agg.testAccuracy.mean * 100, 9);
    }
    // Each line has a band: an upper edge filling to the lower edge right after it.
    expect(ds.filter((d) => d.fill === '+1')).toHaveLength(3);
    // Colour, marker and dash all differ between variants (greyscale-safe).
    expect(new Set(lines.map((l) => l.borderColor)).size).toBe(3);
    expect(new Set(lines.map((l) => l.pointStyle)).size).toBe(3);
    expect(new Set(lines.map((l) => JSON.stringify(l.borderDash))).size).toBe(3);
    const x = (spec.config.options as { scales: { x: { type: string; reverse: boolean; title: { text: string } } } }).scales.x;
    expect(x).toMatchObject({ type: 'logarithmic', reverse: true, title: { text: 'Weights remaining (%)' } });
  });

  it('writes one CSV row per run with the raw per-trial values', () => {
    const spec = describeFigure('accuracy', { experiments: [exp] }, single);
    expect(spec.csv.columns).toEqual(['experimentId', 'experiment', 'trial', 'variant', 'round', 'weightsRemaining', 'testAccuracy']);
    expect(spec.csv.rows).toHaveLength(exp.runs.length);
    for (const r of exp.runs) {
      const row = spec.csv.rows.find((c) => c[2] === r.trial && c[3] === r.variant && c[4] === r.round);
      expect(row).toEqual([exp.id, exp.name, r.trial, r.variant, r.round, r.weightsRemaining, r.testAccuracy]);
    }
    const text = toCsv(spec.csv);
    expect(text.trim().split('\n')).toHaveLength(exp.runs.length + 1);
    const early = describeFigure('early-stop', { experiments: [exp] }, single);
    expect(early.csv.columns.at(-1)).toBe('earlyStopIteration');
    expect(early.csv.rows.map((r) => r[6]).sort()).toEqual(exp.runs.map((r) => r.earlyStopIteration).sort());
  });

  it('compares experiments: series named by experiment and variant, colour per experiment', () => {
    const other = lenetExperiment({ id: 'exp-2', name: 'Global', shift: -0.004, seed: 3 });
    const spec = describeFigure('accuracy', { experiments: [exp, other] }, single);
    expect(spec.series).toEqual([
      `${exp.name} · Winning ticket`,
      `${exp.name} · Random reinit`,
      `${exp.name} · Random pruning`,
      'Global · Winning ticket',
      'Global · Random reinit',
      'Global · Random pruning',
    ]);
    const lines = datasetsOf(spec).filter((d) => spec.series.includes(d.label));
    expect(lines[0]!.borderColor).not.toBe(lines[3]!.borderColor);
    expect(lines[0]!.pointStyle).toBe(lines[3]!.pointStyle);
    expect(spec.csv.rows).toHaveLength(exp.runs.length + other.runs.length);
    // Same names get the id appended, so no two series share a label.
    const twin = describeFigure('accuracy', { experiments: [exp, { ...other, name: exp.name }] }, single);
    expect(new Set(twin.series).size).toBe(6);
  });

  it('draws training curves for chosen rounds, with every evaluation in the CSV', () => {
    const spec = describeFigure('curves', { experiments: [exp] }, { ...single, rounds: [0, 4] });
    expect(spec.series).toEqual(['100% winning ticket', '41.1% winning ticket', '41.1% random reinit', '41.1% random pruning']);
    const runs = exp.runs.filter((r) => r.round === 0 || r.round === 4);
    expect(spec.csv.rows).toHaveLength(runs.reduce((a, r) => a + r.curve.length, 0));
    const byDefault = describeFigure('curves', { experiments: [exp] }, single);
    expect(new Set(byDefault.csv.rows.map((r) => r[4])).size).toBeLessThanOrEqual(4);
    const ticketsOnly = describeFigure('curves', { experiments: [exp] }, { ...single, rounds: [2], variants: ['ticket'] });
    expect(ticketsOnly.series).toEqual(['64.1% winning ticket']);
  });

  it('shows density per layer as bars per chosen round', () => {
    const spec = describeFigure('layers', { experiments: [exp] }, { ...single, rounds: [0, 2, 4] });
    expect(spec.config.type).toBe('bar');
    expect(spec.config.data.labels).toEqual(['dense_1', 'dense_2', 'output']);
    const ds = datasetsOf(spec);
    expect(ds.map((d) => d.label)).toEqual(['Round 0 (100%)', 'Round 2 (64.1%)', 'Round 4 (41.1%)']);
    expect(ds[2]!.data[0]).toBeCloseTo(0.8 ** 4 * 100, 9);
    expect(ds[2]!.data[2]).toBeCloseTo(0.9 ** 4 * 100, 9);
    const runs = exp.runs.filter((r) => [0, 2, 4].includes(r.round));
    expect(spec.csv.rows).toHaveLength(runs.length * 3);
  });

  it('draws a ticket mask as a heat map with one CSV row per pixel', () => {
    const heat = lenetHeatmap();
    const spec = describeFigure('mask', { experiments: [], mask: { ...heat, ticket: { id: 't1', trial: 0, round: 4, weightsRemaining: 0.41 } } }, single);
    expect(spec.csv.rows).toHaveLength(28 * 28);
    expect(spec.csv.rows[29]).toEqual(['t1', 0, 4, 0.41, 1, 1, heat.counts[29]]);
    expect(() => describeFigure('mask', { experiments: [], mask: { ...heat, counts: heat.counts.slice(1) } }, single)).toThrow(
      /783 counts for a 28x28 input/,
    );
    expect(() => describeFigure('mask', { experiments: [] }, single)).toThrow(/needs a ticket/);
  });

  it('turns bad choices into one-line errors', () => {
    expect(() => describeFigure('accuracy', { experiments: [exp] }, { ...single, rounds: [9] })).toThrow(FigureOptionError);
    expect(() => describeFigure('accuracy', { experiments: [exp] }, { ...single, rounds: [9] })).toThrow(/no runs at round 9: the experiment has rounds 0-4/);
    expect(() => describeFigure('curves', { experiments: [exp] }, { ...single, rounds: [] })).toThrow(/--rounds is empty/);
    expect(() => describeFigure('accuracy', { experiments: [] }, single)).toThrow(/needs at least one experiment/);
    expect(() => describeFigure('layers', { experiments: [{ ...exp, runs: [] }] }, single)).toThrow(/no finished runs/);
  });

  it('stays free of DOM and Node APIs so the window can draw the same configuration', () => {
    const dir = join(__dirname, '../../src/shared/figures');
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
      const src = readFileSync(join(dir, f), 'utf8');
      expect(src, f).not.toMatch(/from 'node:|from '(fs|path|os|zlib|@napi-rs\/canvas|pdfkit)'|require\(/);
      expect(src, f).not.toMatch(/\b(document|window|navigator)\.|HTMLCanvasElement|getElementById/);
    }
    const spec = describeFigure('accuracy', { experiments: [exp] }, single);
    expect(() => JSON.stringify(spec.config.data)).not.toThrow();
    expect(TRIALS).toBe(3);
  });
});
