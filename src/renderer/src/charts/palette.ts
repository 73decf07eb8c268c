import { VariantSchema, type Variant } from '../../../shared/spec';

/** Okabe-Ito: distinguishable under the common colour-vision deficiencies. */
export const OKABE_ITO = {
  orange: '#E69F00',
  sky: '#56B4E9',
  green: '#009E73',
  yellow: '#F0E442',
  blue: '#0072B2',
  vermillion: '#D55E00',
  purple: '#CC79A7',
  grey: '#999999',
} as const;

export const SERIES = [OKABE_ITO.blue, OKABE_ITO.vermillion, OKABE_ITO.green, OKABE_ITO.orange, OKABE_ITO.purple, OKABE_ITO.sky, OKABE_ITO.yellow, OKABE_ITO.grey];

type VariantStyle = { color: string; dash: number[]; label: string; point: 'circle' | 'triangle' | 'rect' };
/**
 * Colour plus dash: the variant stays readable in greyscale print too. Keyed by name so controls the engine
 * adds (shuffle, sign, supermask) have a style as soon as they exist; an unknown one falls back to grey.
 */
const STYLES: Record<string, VariantStyle> = {
  ticket: { color: OKABE_ITO.blue, dash: [], label: 'winning ticket', point: 'circle' },
  // Same colours as the paper figures (src/shared/figures/style.ts), so a variant looks alike in every chart.
  reinit: { color: OKABE_ITO.orange, dash: [6, 4], label: 'random reinit', point: 'triangle' },
  random: { color: OKABE_ITO.green, dash: [2, 3], label: 'random pruning', point: 'rect' },
  shuffle: { color: OKABE_ITO.purple, dash: [8, 3, 2, 3], label: 'shuffled mask', point: 'triangle' },
  sign: { color: OKABE_ITO.vermillion, dash: [4, 2], label: 'sign flip', point: 'rect' },
  invert: { color: OKABE_ITO.yellow, dash: [8, 2, 2, 2], label: 'score inversion', point: 'triangle' },
  supermask: { color: OKABE_ITO.sky, dash: [1, 2], label: 'supermask', point: 'circle' },
  'supermask-signed': { color: OKABE_ITO.grey, dash: [10, 4], label: 'signed supermask', point: 'circle' },
};
export const VARIANT_STYLE = new Proxy(STYLES, {
  get: (t, k: string) => t[k] ?? { color: OKABE_ITO.grey, dash: [3, 3], label: String(k), point: 'circle' },
}) as Record<Variant, VariantStyle>;

/** Each variant's label here, the base that variantName (src/shared/variants.ts) adds a spec's reading to. */
export const VARIANT_LABELS = Object.fromEntries(VariantSchema.options.map((v) => [v, VARIANT_STYLE[v].label])) as Record<Variant, string>;

export function seriesColor(i: number): string {
  return SERIES[i % SERIES.length]!;
}

/** Theme colours for chart text and grid, read from the CSS variables the theme defines. */
export function themeInk(): { text: string; grid: string; muted: string } {
  if (typeof getComputedStyle === 'undefined' || typeof document === 'undefined') return { text: '#222', grid: '#ddd', muted: '#666' };
  const s = getComputedStyle(document.documentElement);
  const v = (name: string, fb: string) => s.getPropertyValue(name).trim() || fb;
  return { text: v('--fg', '#222'), grid: v('--grid', '#ddd'), muted: v('--fg-muted', '#666') };
}
