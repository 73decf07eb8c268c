import type { PointStyle } from 'chart.js';
import { VariantSchema, type PruningMethod, type Variant } from '../spec';

/**
 * Print styling. Chart units are points (1/72 in), so a font size here is its size on paper when the
 * figure is printed at its physical width.
 */
export const FONT_FAMILY = 'Helvetica, Arial, "DejaVu Sans", sans-serif';
export const INK = '#000000';
export const GRID = 'rgba(0, 0, 0, 0.12)';

/** Okabe & Ito (2008): distinguishable under the common colour-vision deficiencies. */
export const OKABE_ITO = {
  black: '#000000',
  orange: '#E69F00',
  skyBlue: '#56B4E9',
  bluishGreen: '#009E73',
  yellow: '#F0E442',
  blue: '#0072B2',
  vermilion: '#D55E00',
  reddishPurple: '#CC79A7',
} as const;

/** Categorical order: dark/light alternation so neighbours also differ in greyscale; yellow last (weak on white). */
export const CATEGORICAL = [
  OKABE_ITO.blue,
  OKABE_ITO.orange,
  OKABE_ITO.bluishGreen,
  OKABE_ITO.vermilion,
  OKABE_ITO.skyBlue,
  OKABE_ITO.reddishPurple,
  OKABE_ITO.black,
  OKABE_ITO.yellow,
] as const;

export interface SeriesStyle {
  color: string;
  pointStyle: PointStyle;
  /** Canvas line dash in points; [] is solid. */
  dash: number[];
}

/** Colour, marker and dash each tell the variants apart, so a greyscale print still does. */
export const VARIANT_STYLE: Record<Variant, SeriesStyle> = {
  ticket: { color: OKABE_ITO.blue, pointStyle: 'circle', dash: [] },
  reinit: { color: OKABE_ITO.orange, pointStyle: 'triangle', dash: [4, 2] },
  random: { color: OKABE_ITO.bluishGreen, pointStyle: 'rect', dash: [1.2, 1.6] },
  shuffle: { color: OKABE_ITO.vermilion, pointStyle: 'rectRot', dash: [6, 2] },
  sign: { color: OKABE_ITO.reddishPurple, pointStyle: 'crossRot', dash: [3, 1.5, 1, 1.5] },
  invert: { color: OKABE_ITO.yellow, pointStyle: 'rectRounded', dash: [8, 1.5, 1.5, 1.5] },
  supermask: { color: OKABE_ITO.skyBlue, pointStyle: 'star', dash: [1, 1] },
  'supermask-signed': { color: OKABE_ITO.black, pointStyle: 'cross', dash: [5, 1.5, 1, 1.5, 1, 1.5] },
};

export const VARIANT_LABEL: Record<Variant, string> = {
  ticket: 'Winning ticket',
  reinit: 'Random reinit',
  random: 'Random pruning',
  shuffle: 'Layer-wise shuffle',
  sign: 'Sign flip',
  invert: 'Score inversion',
  supermask: 'Untrained supermask',
  'supermask-signed': 'Untrained: signed constant',
};

export const VARIANT_ORDER: readonly Variant[] = VariantSchema.options;

/** How each pruning method is named in legends and tables. */
export const METHOD_LABEL: Record<PruningMethod, string> = {
  magnitude: 'IMP',
  snip: 'SNIP',
  grasp: 'GraSP',
  synflow: 'SynFlow',
  'magnitude-init': 'Magnitude at init',
  random: 'Random at init',
};

/** The 'ticket' series of an experiment: IMP's winning tickets, or the trained masks of a pruning-at-init method. */
export function ticketLabel(method: PruningMethod | undefined): string {
  return !method || method === 'magnitude' ? VARIANT_LABEL.ticket : `${METHOD_LABEL[method]} (trained)`;
}

export function categoricalColor(i: number): string {
  return CATEGORICAL[i % CATEGORICAL.length]!;
}

// Viridis stops (0 .. 1): perceptually uniform with monotone lightness, so ordinal data reads in greyscale too.
const VIRIDIS: readonly [number, number, number][] = [
  [68, 1, 84],
  [72, 40, 120],
  [62, 74, 137],
  [49, 104, 142],
  [38, 130, 142],
  [31, 158, 137],
  [53, 183, 121],
  [110, 206, 88],
  [181, 222, 43],
  [253, 231, 37],
];

export function viridis(t: number): string {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS[i]!;
  const b = VIRIDIS[i + 1]!;
  const c = (k: 0 | 1 | 2) => Math.round(a[k] + (b[k] - a[k]) * f);
  return `rgb(${c(0)}, ${c(1)}, ${c(2)})`;
}

/** n ordinal colours from dark to light, stopping short of viridis' yellow, which vanishes on white paper. */
export function sequentialColors(n: number): string[] {
  if (n <= 1) return [viridis(0.35)];
  return Array.from({ length: n }, (_, i) => viridis((0.85 * i) / (n - 1)));
}

export function withAlpha(hex: string, alpha: number): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) return hex;
  return `rgba(${parseInt(m[1]!, 16)}, ${parseInt(m[2]!, 16)}, ${parseInt(m[3]!, 16)}, ${alpha})`;
}

export interface PrintSize {
  widthInches: number;
  heightInches: number;
  /** Point sizes at print size. */
  tickFont: number;
  titleFont: number;
  legendFont: number;
  lineWidth: number;
  pointRadius: number;
}

/** Fonts stay 8-9 pt on paper; a double-column figure gets a little more room, not bigger everything. */
export function printSize(widthInches: number, aspect: number): PrintSize {
  const wide = widthInches >= 5;
  return {
    widthInches,
    heightInches: widthInches * aspect,
    tickFont: wide ? 8.5 : 7.5,
    titleFont: wide ? 9.5 : 8.5,
    legendFont: wide ? 8.5 : 7.5,
    lineWidth: wide ? 1.25 : 1,
    pointRadius: wide ? 2.3 : 1.9,
  };
}

/** Height / width for line figures: 4:3-ish at one column, flatter across two so it is not a page tall. */
export function lineAspect(widthInches: number): number {
  return widthInches >= 5 ? 0.43 : 0.78;
}

export function font(size: number, weight: 'normal' | 'bold' = 'normal') {
  return { family: FONT_FAMILY, size, weight } as const;
}

/**
 * Where a figure is drawn. 'print' (the default) is the paper figure: black ink on white, point-size
 * fonts, hairlines. 'screen' is the same figure in the app's window: ink and grid in the theme's
 * colours (readable in the dark theme), fonts and strokes scaled up for a screen's pixels, and a
 * chart that fills its panel. The data, series, colours of the series and legend are the same.
 */
export type FigureMedium = 'print' | 'screen';

export interface ScreenTheme {
  /** Text, axes and the black legend symbols of print. */
  ink: string;
  /** Grid lines. */
  grid: string;
  fontFamily: string;
  /** Screen pixels per print point for fonts: 7.5 pt ticks become about 11 px at 1.45. */
  fontScale: number;
}

/** The light theme of the app (src/renderer/src/styles.css); the window passes its own colours. */
export const SCREEN_THEME: ScreenTheme = {
  ink: '#1d2126',
  grid: 'rgba(128, 128, 128, 0.25)',
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, Ubuntu, Cantarell, "Noto Sans", sans-serif',
  fontScale: 1.45,
};

/** Everything a figure builder needs to know about the medium: ink, grid, fonts, sizes and strokes. */
export interface FigureStyle {
  medium: FigureMedium;
  ink: string;
  grid: string;
  size: PrintSize;
  /** Legend symbol width (dash plus marker). */
  symbolWidth: number;
  font(size: number, weight?: 'normal' | 'bold'): { family: string; size: number; weight: 'normal' | 'bold' };
  /** A stroke width given in print points: as is on paper, at least one pixel on screen. */
  stroke(points: number): number;
}

const PRINT_SYMBOL_WIDTH = 18;

export function figureStyle(
  options: { widthInches: number; medium?: FigureMedium; theme?: Partial<ScreenTheme> },
  aspect: number,
  sizeOverride?: Partial<PrintSize>,
): FigureStyle {
  const base: PrintSize = { ...printSize(options.widthInches, aspect), ...sizeOverride };
  if ((options.medium ?? 'print') === 'print') {
    return { medium: 'print', ink: INK, grid: GRID, size: base, symbolWidth: PRINT_SYMBOL_WIDTH, font, stroke: (w) => w };
  }
  const theme = { ...SCREEN_THEME, ...definedOnly(options.theme ?? {}) };
  const k = theme.fontScale > 0 && Number.isFinite(theme.fontScale) ? theme.fontScale : SCREEN_THEME.fontScale;
  const size: PrintSize = {
    ...base,
    tickFont: round1(base.tickFont * k),
    titleFont: round1(base.titleFont * k),
    legendFont: round1(base.legendFont * k),
    lineWidth: round1(base.lineWidth * 1.8),
    pointRadius: round1(base.pointRadius * 1.6),
  };
  return {
    medium: 'screen',
    ink: theme.ink,
    grid: theme.grid,
    size,
    symbolWidth: Math.round(PRINT_SYMBOL_WIDTH * Math.min(k, 1.5)),
    font: (s, weight = 'normal') => ({ family: theme.fontFamily, size: s, weight }),
    stroke: (w) => Math.max(1, round1(w * 1.4)),
  };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '')) as Partial<T>;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
