import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportFigures } from '../../src/main/export';
import { lenetExperiment, lenetHeatmap } from './fixture';
import { checkWellFormedXml, pngSize } from './helpers';
import type { FigureKind } from '../../src/shared/figures';

/** What a person is about to look at is at least what was asked for: the file of each format, at its width. */
function expectPreview(paths: string[], formats: readonly string[], dir: string, widthInches: number) {
  expect(paths.map((p) => p.slice(dir.length + 1))).toEqual(formats.map((f) => expect.stringMatching(new RegExp(`^[\\w-]+\\.${f}$`))));
  for (const p of paths) {
    const bytes = readFileSync(p);
    if (p.endsWith('.png')) expect(pngSize(bytes).width, p).toBe(Math.round(widthInches * 300));
    if (p.endsWith('.pdf')) expect(bytes.subarray(0, 5).toString('latin1'), p).toBe('%PDF-');
    if (p.endsWith('.svg')) {
      const svg = bytes.toString('utf8');
      expect(checkWellFormedXml(svg)[0], p).toBe('svg');
      expect(svg, p).toMatch(new RegExp(`<svg[^>]* width="${widthInches}in"`));
    }
  }
}

// Writes preview files for a person to look at when LTH_FIGURE_PREVIEW names a folder.
const dir = process.env.LTH_FIGURE_PREVIEW;
describe.skipIf(!dir)('figure previews', () => {
  it('writes every figure at single and double width', async () => {
    const d = lenetExperiment();
    const d2 = lenetExperiment({ id: 'exp-b', name: 'Global pruning', shift: -0.003, seed: 9 });
    const kinds: FigureKind[] = ['accuracy', 'early-stop', 'curves', 'layers', 'mask'];
    for (const figure of kinds) {
      for (const [w, tag] of [[3.5, 'single'], [7, 'double']] as const) {
        const formats = ['png', 'pdf', 'svg'] as const;
        const out = join(dir!, tag);
        expectPreview(await exportFigures([d], { figure, formats: [...formats], widthInches: w, outDir: out, mask: { ...lenetHeatmap(), ticket: { id: 't1', trial: 0, round: 4, weightsRemaining: 0.41 } } }), formats, out, w);
      }
    }
    for (const [w, tag] of [[3.5, 'compare'], [7, 'compare-double']] as const) {
      const out = join(dir!, tag);
      expectPreview(await exportFigures([d, d2], { figure: 'accuracy', formats: ['png'], widthInches: w, outDir: out }), ['png'], out, w);
    }
    const long = lenetExperiment({ rounds: 21 });
    for (const [w, tag] of [[3.5, 'long-single'], [7, 'long-double']] as const) {
      const out = join(dir!, tag);
      expectPreview(await exportFigures([long], { figure: 'accuracy', formats: ['png', 'pdf'], widthInches: w, outDir: out }), ['png', 'pdf'], out, w);
    }
  });
});
