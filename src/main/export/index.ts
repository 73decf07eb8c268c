import { mkdir, writeFile } from 'node:fs/promises';
import { stabilityLatexTable, stabilityMarkdownTable } from '../../shared/figures/stability-table';
import { join } from 'node:path';
import type { ExperimentDetail } from '../../shared/results';
import type { Variant } from '../../shared/spec';
import {
  EXPORT_FORMATS,
  FigureOptionError,
  describeFigure,
  latexTable,
  parseFigure,
  markdownTable,
  toCsv,
  type ExportFormat,
  type FigureKind,
  type FigureSpec,
  type MaskInput,
} from '../../shared/figures';
import { renderPng, renderSvg } from './chart-node';
import { svgsToPdf } from './pdf';

export interface ExportOptions {
  figure: FigureKind;
  formats: readonly ExportFormat[];
  /** Physical width in inches: 3.5 single column, 7 double (see parseWidth). */
  widthInches: number;
  outDir: string;
  rounds?: number[];
  variants?: Variant[];
  /** The mask figure's data (LabServices.tickets.pixelHeatmap plus the ticket). */
  mask?: MaskInput;
  /** The overlap figure's data (LabServices.tickets.overlapMatrix). */
  overlap?: import('../../shared/analyses/overlap').OverlapMatrix;
  /** PNG resolution, 300 unless told. */
  dpi?: number;
}

/**
 * Draws one figure from stored results and writes DIR/<figure>.<format> for each format: vector SVG
 * and PDF, a PNG at `dpi`, the figure's raw data as CSV, and the results table as LaTeX and Markdown.
 * Everything is validated before the first file is written. Returns the paths written.
 */
export async function exportFigures(details: readonly ExperimentDetail[], options: ExportOptions): Promise<string[]> {
  parseFigure(options.figure);
  if (options.formats.length === 0) throw new FigureOptionError(`no format given: use one or more of ${EXPORT_FORMATS.join(',')}`);
  for (const f of options.formats) {
    if (!(EXPORT_FORMATS as readonly string[]).includes(f)) throw new FigureOptionError(`unknown format "${f}": use one or more of ${EXPORT_FORMATS.join(',')}`);
  }
  if (!(options.widthInches >= 1 && options.widthInches <= 12)) {
    throw new FigureOptionError(`invalid width ${options.widthInches}in: must be between 1in and 12in (3.5in single column, 7in double)`);
  }
  const dpi = options.dpi ?? 300;
  if (!(Number.isFinite(dpi) && dpi >= 72 && dpi <= 2400)) throw new FigureOptionError(`invalid resolution ${dpi} dpi: use 72 to 2400`);
  const wantsTable = options.formats.includes('tex') || options.formats.includes('md');
  if (wantsTable && options.figure === 'overlap') throw new FigureOptionError('the overlap figure writes svg, pdf, png and csv (its matrix); tex and md hold experiment results tables');
  if (wantsTable && details.length === 0) {
    throw new FigureOptionError('tex and md write the results table of an experiment: add --experiment ID');
  }

  // Chart.js mutates its configuration while drawing, so every drawing gets a freshly built one.
  const build = (): FigureSpec =>
    describeFigure(options.figure, { experiments: details, mask: options.mask, overlap: options.overlap }, {
      widthInches: options.widthInches,
      rounds: options.rounds,
      variants: options.variants,
    });
  const spec = build();
  const tableOpts = { rounds: options.rounds, variants: options.variants };
  // A stability figure's table is the instability results; every other figure's is the IMP results table.
  const stability = options.figure.startsWith('stability');
  const tex = options.formats.includes('tex') ? (stability ? stabilityLatexTable(details) : latexTable(details, tableOpts)) : null;
  const md = options.formats.includes('md') ? (stability ? stabilityMarkdownTable(details) : markdownTable(details, tableOpts)) : null;

  await mkdir(options.outDir, { recursive: true });
  const written: string[] = [];
  const write = async (format: ExportFormat, data: string | Buffer) => {
    const path = join(options.outDir, `${options.figure}.${format}`);
    await writeFile(path, data);
    written.push(path);
  };
  let svg: string | null = null;
  const svgOnce = () => (svg ??= renderSvg(build()));
  for (const format of options.formats) {
    switch (format) {
      case 'svg':
        await write('svg', svgOnce());
        break;
      case 'pdf':
        await write('pdf', await svgsToPdf([{ svg: svgOnce(), widthInches: spec.widthInches, heightInches: spec.heightInches }], spec.title));
        break;
      case 'png':
        await write('png', renderPng(build(), dpi));
        break;
      case 'csv':
        await write('csv', toCsv(spec.csv));
        break;
      case 'tex':
        await write('tex', tex!);
        break;
      case 'md':
        await write('md', md!);
        break;
    }
  }
  return written;
}

export { renderPng, renderSvg } from './chart-node';
export { svgsToPdf } from './pdf';
