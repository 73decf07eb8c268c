import type { Scale } from 'chart.js';
import { percentTickFormat } from './series';
import type { FigureStyle } from './style';

/**
 * The paper's x axis: weights remaining on a log scale, 100% on the left, ticks at the weights that
 * were actually trained (100, 51.2, 26.2, ...), thinned so labels never collide at column width.
 */
export function weightsRemainingAxis(percents: readonly number[], style: FigureStyle) {
  const { size, ink } = style;
  const values = [...new Set(percents.filter((p) => p > 0 && Number.isFinite(p)).map((p) => round4(p)))].sort((a, b) => b - a);
  const hi = values[0] ?? 100;
  const lo = values[values.length - 1] ?? 1;
  const span = Math.max(Math.log10(hi / lo), 0.05);
  // Room on both ends (4% of the log span) so end markers are not cut in half by the axis.
  const pad = 10 ** (span * 0.04);
  const ticks = thinTicks(values, span, size.widthInches);
  const tickLabel = percentTickFormat(ticks);
  return {
    type: 'logarithmic' as const,
    reverse: true,
    min: lo / pad,
    max: hi * pad,
    title: { display: true, text: 'Weights remaining (%)', color: ink, font: style.font(size.titleFont), padding: { top: 2, bottom: 0 } },
    grid: { color: style.grid, lineWidth: style.stroke(0.5), drawTicks: true, tickLength: 3 },
    border: { color: ink, width: style.stroke(0.75) },
    afterBuildTicks: (axis: Scale) => {
      axis.ticks = ticks.map((value) => ({ value }));
    },
    ticks: {
      color: ink,
      font: style.font(size.tickFont),
      autoSkip: false,
      maxRotation: 0,
      padding: 2,
      callback: (value: number | string) => tickLabel(Number(value)),
    },
  };
}

/** Greedy from 100% down: keep a tick when it is far enough (in log space) from the last kept one. */
export function thinTicks(valuesDesc: readonly number[], logSpan: number, widthInches: number): number[] {
  // About one label per 0.45 in of axis: labels like "51.2" are ~0.2 in wide at 7.5 pt.
  const maxLabels = Math.max(3, Math.floor((widthInches - 0.6) / 0.45));
  const minGap = logSpan / maxLabels;
  const kept: number[] = [];
  for (const v of valuesDesc) {
    const last = kept[kept.length - 1];
    if (last === undefined || Math.log10(last / v) >= minGap * 0.999) kept.push(v);
  }
  return kept;
}

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
