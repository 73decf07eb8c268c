import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { afterAll, describe, expect, it } from 'vitest';
import { exportFigures } from '../../src/main/export';
import type { FigureKind } from '../../src/shared/figures';
import { skipUnlessCi } from '../ci-required';
import { lenetExperiment, lenetHeatmap } from './fixture';

/**
 * The exported PDFs as a real reader sees them: poppler-utils (installed by CI for this) rather than the byte
 * patterns of files.test.ts. Text is drawn as outlines, so pdftotext finds nothing to read and pdffonts no font;
 * what shows that the page is the figure is rendering it (pdftoppm) and comparing with the PNG export.
 */
const missing = ['pdfinfo', 'pdfimages', 'pdffonts', 'pdftoppm'].filter((t) => spawnSync(t, ['-v']).error);
const noPoppler = skipUnlessCi('poppler-utils', missing.length ? `${missing.join(', ')} not found (apt-get install poppler-utils)` : null);

const exp = lenetExperiment();
const mask = { ...lenetHeatmap(), ticket: { id: 't1', trial: 0, round: 4, weightsRemaining: 0.41 } };
const dir = mkdtempSync(join(tmpdir(), 'lth-poppler-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (tool: string, ...args: string[]) => execFileSync(tool, args, { encoding: 'utf8' });
/** Rows after the two header lines of `pdfimages -list` and `pdffonts`. */
const listed = (out: string) => out.trim().split('\n').slice(2);

/** 8-bit grey pixels of a binary PGM (P5), as pdftoppm -gray writes it. */
function readPgm(buf: Buffer): { width: number; height: number; grey: Uint8Array } {
  const header = /^P5\s+(\d+)\s+(\d+)\s+255\s/.exec(buf.subarray(0, 40).toString('latin1'));
  if (!header) throw new Error('not an 8-bit PGM');
  const [whole, w, h] = header;
  return { width: Number(w), height: Number(h), grey: new Uint8Array(buf.subarray(whole.length, whole.length + Number(w) * Number(h))) };
}

/** The PNG export scaled to width x height, in grey (the same weights as poppler's). */
async function pngGrey(file: string, width: number, height: number): Promise<Uint8Array> {
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, width, height);
  ctx.drawImage(await loadImage(readFileSync(file)), 0, 0, width, height);
  const rgba = ctx.getImageData(0, 0, width, height).data;
  return Uint8Array.from({ length: width * height }, (_, i) => Math.round(0.299 * rgba[i * 4]! + 0.587 * rgba[i * 4 + 1]! + 0.114 * rgba[i * 4 + 2]!));
}

describe.skipIf(noPoppler !== null)('exported PDFs, read by poppler', () => {
  it.each(['accuracy', 'mask'] as FigureKind[])('%s: one page the size of the figure, no raster image, no font; rendered, it is the PNG export', async (figure) => {
    const [pdf, png] = await exportFigures([exp], { figure, formats: ['pdf', 'png'], widthInches: 3.5, outDir: join(dir, figure), mask });
    const info = run('pdfinfo', pdf!);
    expect(info).toMatch(/^Pages:\s+1$/m);
    expect(info).toMatch(/^Page size:\s+252 x \d+(\.\d+)? pts/m);
    expect(listed(run('pdfimages', '-list', pdf!))).toEqual([]);
    expect(listed(run('pdffonts', pdf!))).toEqual([]);

    // At the PNG's 300 dpi, so neither image is resampled.
    run('pdftoppm', '-r', '300', '-gray', '-singlefile', pdf!, join(dir, figure, 'page'));
    const page = readPgm(readFileSync(join(dir, figure, 'page.pgm')));
    expect(page.width).toBe(1050);
    const ref = await pngGrey(png!, page.width, page.height);
    // Compared in blocks of 30 x 30 pixels (1/10 inch): thin lines anti-alias differently in the two renderers, but
    // every block holds the same strokes, fills and outlined labels.
    const B = 30;
    const blocks = (g: Uint8Array) => {
      const bw = Math.floor(page.width / B);
      const bh = Math.floor(page.height / B);
      const out = new Float64Array(bw * bh);
      for (let y = 0; y < bh * B; y++) for (let x = 0; x < bw * B; x++) out[Math.floor(y / B) * bw + Math.floor(x / B)]! += (255 - g[y * page.width + x]!) / (B * B * 255);
      return out;
    };
    const [a, b] = [blocks(page.grey), blocks(ref)];
    const inked = b.reduce((n, v) => n + (v > 0.05 ? 1 : 0), 0);
    let worst = 0;
    let mean = 0;
    a.forEach((v, i) => {
      worst = Math.max(worst, Math.abs(v - b[i]!));
      mean += Math.abs(v - b[i]!) / a.length;
    });
    console.log(`${figure}.pdf rendered by poppler at 300 dpi vs the PNG export, in 1/10-inch blocks of ink: mean |difference| ${mean.toFixed(4)}, worst ${worst.toFixed(3)}, ${inked} of ${b.length} blocks inked`);
    expect(inked).toBeGreaterThan(b.length / 10);
    // Measured: mean 0.005, worst block 0.066 (accuracy), 0.005 and 0.051 (mask).
    expect(mean).toBeLessThan(0.015);
    expect(worst).toBeLessThan(0.2);
  });
});
