import type { ChartConfiguration } from 'chart.js';
import { shallowRef } from 'vue';
import { describeFigure, type FigureKind, type FigureOptions, type MaskInput, type ScreenTheme } from '../../../shared/figures';
import type { ExperimentDetail } from '../../../shared/results';

/**
 * The window draws the paper figures of src/shared/figures — the very configurations `lth export` and
 * the Export panel write to SVG/PDF/PNG — in their 'screen' medium: ink, grid and font from the app's
 * theme. The theme is reactive, so figures recompute when the OS switches between light and dark.
 */
export const screenTheme = shallowRef<Partial<ScreenTheme>>(readTheme());

let watching = false;
/** Starts following the OS colour scheme (once); views call it when they mount. */
export function followTheme(): void {
  if (watching || typeof matchMedia === 'undefined') return;
  watching = true;
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
    screenTheme.value = readTheme();
  });
  screenTheme.value = readTheme();
}

function readTheme(): Partial<ScreenTheme> {
  if (typeof getComputedStyle === 'undefined' || typeof document === 'undefined') return {};
  const s = getComputedStyle(document.documentElement);
  const v = (name: string) => s.getPropertyValue(name).trim() || undefined;
  return { ink: v('--fg'), grid: v('--grid'), fontFamily: s.fontFamily || undefined };
}

/**
 * A shared figure for a panel of the window, or null when there is nothing to draw yet (no finished
 * run, a round the experiments lack). Width sets legend and tick density as for a printed column.
 */
export function screenFigure(
  kind: FigureKind,
  input: { experiments: readonly ExperimentDetail[]; mask?: MaskInput },
  options: Omit<FigureOptions, 'medium' | 'theme' | 'widthInches'> & { widthInches?: number } = {},
): ChartConfiguration | null {
  const experiments = input.experiments.filter((d) => d.runs.length > 0);
  if (kind !== 'mask' && experiments.length === 0) return null;
  try {
    return forScreen(describeFigure(kind, { ...input, experiments }, { widthInches: 3.5, ...options, medium: 'screen', theme: screenTheme.value }).config);
  } catch {
    return null;
  }
}

type Axis = { title?: { text?: string }; max?: number; min?: number; type?: string };
const title = (a: Axis | undefined) => String(a?.title?.text ?? '');
/** 64.064 -> "64.06"; 12000 -> "12,000". */
export function tidy(v: number): string {
  return Number.isInteger(v) ? v.toLocaleString('en-US') : Number(v.toFixed(2)).toLocaleString('en-US', { maximumFractionDigits: 2 });
}

/**
 * What the window adds to a paper figure: tooltips with rounded numbers and units instead of raw values
 * ("64.064"), and a percent axis that stops at 100 instead of reaching 105% around a single point.
 */
export function forScreen(config: ChartConfiguration): ChartConfiguration {
  const options = (config.options ?? {}) as { scales?: Record<string, Axis>; plugins?: Record<string, unknown> };
  const x = options.scales?.['x'];
  const y = options.scales?.['y'];
  const pctY = title(y).includes('%');
  const pctX = title(x).includes('%');
  if (y && pctY && y.max === undefined) {
    const ys = (config.data.datasets as { data: unknown[] }[]).flatMap((d) => d.data.map((p) => (typeof p === 'number' ? p : (p as { y?: number })?.y)).filter((v): v is number => typeof v === 'number'));
    if (ys.length && Math.max(...ys) >= 97) y.max = 100;
  }
  const tooltip = (options.plugins?.['tooltip'] ?? {}) as Record<string, unknown>;
  options.plugins = {
    ...options.plugins,
    tooltip: {
      ...tooltip,
      callbacks: {
        title: (items: { parsed: { x: number }; label?: string }[]) => {
          const v = items[0]?.parsed.x;
          if (config.type === 'bar') return items[0]?.label ?? '';
          if (v === undefined || !x) return '';
          const what = title(x).replace(/\s*\(%\)/, '').replace(/\s*\(log\)/, '') || 'x';
          return `${what}: ${tidy(v)}${pctX ? '%' : ''}`;
        },
        label: (item: { dataset: { label?: string }; parsed: { y: number } }) => `${item.dataset.label ?? ''}: ${tidy(item.parsed.y)}${pctY ? '%' : ''}`,
      },
    },
  };
  config.options = options as ChartConfiguration['options'];
  return config;
}
