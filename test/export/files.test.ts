import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exportFigures } from '../../src/main/export';
import { describeFigure, FigureOptionError, type FigureKind } from '../../src/shared/figures';
import { lenetExperiment, lenetHeatmap } from './fixture';
import { checkWellFormedXml, pdfStreams, pngPixelsPerMetre, pngSize } from './helpers';

const exp = lenetExperiment();
const dir = mkdtempSync(join(tmpdir(), 'lth-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const mask = { ...lenetHeatmap(), ticket: { id: 't1', trial: 0, round: 4, weightsRemaining: 0.41 } };

/** Colours of the series' lines, as Skia writes them into the SVG. */
function lineColors(kind: FigureKind): string[] {
  const spec = describeFigure(kind, { experiments: [exp] }, { widthInches: 3.5 });
  const ds = spec.config.data.datasets as unknown as { label: string; borderColor: string }[];
  return ds.filter((d) => spec.series.includes(d.label)).map((d) => d.borderColor);
}

describe('exportFigures', () => {
  it('writes every format to DIR/<figure>.<format> and returns the paths', async () => {
    const out = join(dir, 'all');
    const paths = await exportFigures([exp], { figure: 'accuracy', formats: ['svg', 'pdf', 'png', 'csv', 'tex', 'md'], widthInches: 3.5, outDir: out });
    expect(paths).toEqual(['svg', 'pdf', 'png', 'csv', 'tex', 'md'].map((f) => join(out, `accuracy.${f}`)));
    const csv = readFileSync(join(out, 'accuracy.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('experimentId,experiment,trial,variant,round,weightsRemaining,testAccuracy');
    expect(csv).toHaveLength(exp.runs.length + 1);
    expect(readFileSync(join(out, 'accuracy.tex'), 'utf8')).toContain('\\toprule');
    expect(readFileSync(join(out, 'accuracy.md'), 'utf8')).toContain('| Round |');
  });

  it.each(['accuracy', 'early-stop', 'curves'] as FigureKind[])('%s: a well-formed vector SVG, a path per series, no image, no text', async (figure) => {
    const [path] = await exportFigures([exp], { figure, formats: ['svg'], widthInches: 3.5, outDir: join(dir, 'svg') });
    const svg = readFileSync(path!, 'utf8');
    const names = checkWellFormedXml(svg);
    expect(names[0]).toBe('svg');
    expect(names).not.toContain('image');
    expect(names).not.toContain('text');
    expect(svg).toMatch(/<svg[^>]* width="3.5in"[^>]* viewBox="0 0 252 \d+"/);
    for (const color of new Set(lineColors(figure))) {
      expect(svg, color).toMatch(new RegExp(`<path[^>]*stroke="${color}"`, 'i'));
    }
  });

  it('layers and mask SVGs are vector too', async () => {
    await exportFigures([exp], { figure: 'layers', formats: ['svg'], widthInches: 7, outDir: join(dir, 'svg') });
    await exportFigures([], { figure: 'mask', formats: ['svg'], widthInches: 3.5, outDir: join(dir, 'svg'), mask });
    for (const f of ['layers', 'mask']) {
      const svg = readFileSync(join(dir, 'svg', `${f}.svg`), 'utf8');
      const names = checkWellFormedXml(svg);
      expect(names).not.toContain('image');
      expect(names.filter((n) => n === 'path').length).toBeGreaterThan(10);
    }
    expect(readFileSync(join(dir, 'svg', 'layers.svg'), 'utf8')).toMatch(/width="7in"/);
  });

  it('a vector PDF: path operators in its content streams, no image XObject', async () => {
    for (const figure of ['accuracy', 'mask'] as FigureKind[]) {
      const [path] = await exportFigures([exp], { figure, formats: ['pdf'], widthInches: 3.5, outDir: join(dir, 'pdf'), mask });
      const pdf = readFileSync(path!);
      expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      const streams = pdfStreams(pdf);
      const content = streams.map((s) => s.data).join('\n');
      expect(content).toMatch(/[\d.]+ [\d.]+ m\b/);
      expect(content).toMatch(/[\d.]+ [\d.]+ l\b/);
      expect(content).toMatch(/\b(S|f|B)\b/);
      if (figure === 'accuracy') expect(content).toMatch(/[\d.]+ [\d.]+ [\d.]+ [\d.]+ [\d.]+ [\d.]+ c\b/);
      expect(content).not.toMatch(/\bBI\b[\s\S]*\bID\b/);
      expect(pdf.toString('latin1')).not.toMatch(/\/Subtype\s*\/Image/);
      expect(streams.some((s) => /\/Subtype\s*\/Image/.test(s.dict))).toBe(false);
      // One page, the size of the figure.
      expect(pdf.toString('latin1').match(/\/Type\s*\/Page\b/g)).toHaveLength(1);
      expect(pdf.toString('latin1')).toMatch(/\/MediaBox \[0 0 252 \d+(\.\d+)?\]/);
    }
  });

  it('a PNG round(inches * 300) pixels wide with 300 dpi in pHYs', async () => {
    const [single] = await exportFigures([exp], { figure: 'accuracy', formats: ['png'], widthInches: 3.5, outDir: join(dir, 'png1') });
    const png = readFileSync(single!);
    const spec = describeFigure('accuracy', { experiments: [exp] }, { widthInches: 3.5 });
    expect(pngSize(png).width).toBe(1050);
    expect(Math.abs(pngSize(png).height - Math.round(1050 * (spec.heightInches / spec.widthInches)))).toBeLessThanOrEqual(5);
    expect(pngPixelsPerMetre(png)).toBe(Math.round(300 * 39.3701));
    const [mm] = await exportFigures([exp], { figure: 'layers', formats: ['png'], widthInches: 89 / 25.4, outDir: join(dir, 'png2') });
    expect(pngSize(readFileSync(mm!)).width).toBe(Math.round((89 / 25.4) * 300));
    const [double] = await exportFigures([exp], { figure: 'curves', formats: ['png'], widthInches: 7, outDir: join(dir, 'png3') });
    expect(pngSize(readFileSync(double!)).width).toBe(2100);
  });

  it('rejects bad input with one-line errors before writing anything', async () => {
    const out = join(dir, 'bad');
    const bad = (o: Partial<Parameters<typeof exportFigures>[1]>, details = [exp]) =>
      exportFigures(details, { figure: 'accuracy', formats: ['svg'], widthInches: 3.5, outDir: out, ...o });
    await expect(bad({ formats: [] })).rejects.toThrow(/no format given/);
    await expect(bad({ formats: ['jpg' as never] })).rejects.toThrow(/unknown format "jpg"/);
    await expect(bad({ figure: 'pie' as never })).rejects.toThrow(FigureOptionError);
    await expect(bad({ widthInches: 0.2 })).rejects.toThrow(/invalid width/);
    await expect(bad({ rounds: [] })).rejects.toThrow(/--rounds is empty/);
    await expect(bad({ figure: 'mask', formats: ['tex'] }, [])).rejects.toThrow(/add --experiment/);
    expect(() => readFileSync(join(out, 'accuracy.svg'))).toThrow();
  });
});
