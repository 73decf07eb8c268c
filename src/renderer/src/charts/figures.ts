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
    return describeFigure(kind, { ...input, experiments }, { widthInches: 3.5, ...options, medium: 'screen', theme: screenTheme.value }).config;
  } catch {
    return null;
  }
}
