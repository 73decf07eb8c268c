import { VariantSchema, type Variant } from '../spec';
import { FigureOptionError } from './errors';

export const FIGURE_KINDS = ['accuracy', 'early-stop', 'curves', 'layers', 'mask', 'stability-path', 'stability-barrier', 'early-bird', 'overlap'] as const;
export type FigureKind = (typeof FIGURE_KINDS)[number];

export const EXPORT_FORMATS = ['svg', 'pdf', 'png', 'csv', 'tex', 'md'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

const VARIANTS: readonly Variant[] = VariantSchema.options;

/** Journal column widths, in inches. */
export const SINGLE_COLUMN_INCHES = 3.5;
export const DOUBLE_COLUMN_INCHES = 7;

// Narrower than a thumbnail or wider than a landscape page is almost surely a typo (e.g. 35in).
const MIN_INCHES = 1;
const MAX_INCHES = 12;

export function parseFigure(value: string): FigureKind {
  const v = value.trim();
  if ((FIGURE_KINDS as readonly string[]).includes(v)) return v as FigureKind;
  throw new FigureOptionError(`unknown figure "${value}": use one of ${FIGURE_KINDS.join(', ')}`);
}

export function parseFormats(value: string): ExportFormat[] {
  const parts = splitList(value);
  if (parts.length === 0) throw new FigureOptionError(`no format given: use one or more of ${EXPORT_FORMATS.join(',')}`);
  const out: ExportFormat[] = [];
  for (const p of parts) {
    const f = p.toLowerCase();
    if (!(EXPORT_FORMATS as readonly string[]).includes(f)) {
      throw new FigureOptionError(`unknown format "${p}": use one or more of ${EXPORT_FORMATS.join(',')}`);
    }
    if (!out.includes(f as ExportFormat)) out.push(f as ExportFormat);
  }
  return out;
}

/** A physical width such as 3.5in, 7in, 89mm or 8.9cm (or the names single/double), in inches. */
export function parseWidth(value: string): number {
  const v = value.trim().toLowerCase();
  if (v === 'single') return SINGLE_COLUMN_INCHES;
  if (v === 'double') return DOUBLE_COLUMN_INCHES;
  const m = /^(\d+(?:\.\d+)?|\.\d+)\s*(in|mm|cm)$/.exec(v);
  if (!m) {
    throw new FigureOptionError(`invalid width "${value}": give a number with a unit, e.g. 3.5in, 7in, 89mm or 8.9cm`);
  }
  const n = Number(m[1]);
  const inches = m[2] === 'in' ? n : m[2] === 'mm' ? n / 25.4 : n / 2.54;
  if (!(inches >= MIN_INCHES && inches <= MAX_INCHES)) {
    throw new FigureOptionError(`invalid width "${value}": must be between ${MIN_INCHES}in and ${MAX_INCHES}in (3.5in single column, 7in double)`);
  }
  return inches;
}

/** Rounds as "0,2,5" or ranges "0-4" (inclusive), sorted and deduplicated. */
export function parseRounds(value: string): number[] {
  const parts = splitList(value);
  if (parts.length === 0) throw new FigureOptionError('--rounds is empty: give round numbers such as 0,3,5 or a range 0-4');
  const out = new Set<number>();
  for (const p of parts) {
    const range = /^(\d+)\s*-\s*(\d+)$/.exec(p);
    if (range) {
      const a = Number(range[1]);
      const b = Number(range[2]);
      if (b < a) throw new FigureOptionError(`invalid round range "${p}": the end is before the start`);
      if (b - a > 1000) throw new FigureOptionError(`invalid round range "${p}": too many rounds`);
      for (let r = a; r <= b; r++) out.add(r);
    } else if (/^\d+$/.test(p)) {
      out.add(Number(p));
    } else {
      throw new FigureOptionError(`invalid round "${p}": rounds are whole numbers from 0, e.g. 0,3,5 or 0-4`);
    }
  }
  return [...out].sort((a, b) => a - b);
}

export function parseVariants(value: string): Variant[] {
  const parts = splitList(value);
  if (parts.length === 0) throw new FigureOptionError(`--variants is empty: use one or more of ${VARIANTS.join(',')}`);
  const out: Variant[] = [];
  for (const p of parts) {
    if (!(VARIANTS as readonly string[]).includes(p)) {
      throw new FigureOptionError(`unknown variant "${p}": use one or more of ${VARIANTS.join(',')}`);
    }
    if (!out.includes(p as Variant)) out.push(p as Variant);
  }
  return out;
}

export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
