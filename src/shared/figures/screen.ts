import type { FigureStyle } from './style';

/**
 * What only the window adds to a figure's chart options: the chart fills its panel, and hovering
 * anywhere near a line shows its value (the min/max band edges stay out of the tooltip). Print
 * gets nothing here, so its configuration stays exactly the paper figure.
 */
export function screenOptions(style: FigureStyle): Record<string, unknown> {
  if (style.medium !== 'screen') return {};
  return { responsive: true, maintainAspectRatio: false, interaction: { mode: 'nearest', intersect: false } };
}

/** Tooltip options: print keeps Chart.js's default; screen shows only the plotted series, not band edges. */
export function tooltipOptions(style: FigureStyle, series: readonly string[]): Record<string, unknown> {
  if (style.medium !== 'screen') return { enabled: true };
  const shown = new Set(series);
  return {
    enabled: true,
    filter: (item: { dataset: { label?: string } }) => shown.has(item.dataset.label ?? ''),
  };
}
