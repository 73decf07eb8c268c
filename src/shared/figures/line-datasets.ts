import { withAlpha, type FigureStyle, type SeriesStyle } from './style';

export interface BandPoint {
  x: number;
  mean: number;
  min: number;
  max: number;
}

/**
 * A mean line plus, when trials disagree, a light min/max band (the paper's error bars as an area).
 * The band's upper edge fills down to its lower edge, which must follow it directly ('+1').
 */
export function lineWithBand(
  label: string,
  points: readonly BandPoint[],
  style: SeriesStyle,
  figure: FigureStyle,
  opts: { pointRadius?: number | ((ctx: { dataIndex: number }) => number); bandAlpha?: number } = {},
) {
  const size = figure.size;
  const line = {
    label,
    data: points.map((p) => ({ x: p.x, y: p.mean })),
    borderColor: style.color,
    backgroundColor: style.color,
    borderWidth: size.lineWidth,
    borderDash: style.dash,
    pointStyle: style.pointStyle,
    pointRadius: opts.pointRadius ?? size.pointRadius,
    pointHoverRadius: size.pointRadius + 1,
    pointBackgroundColor: style.color,
    pointBorderColor: style.color,
    pointBorderWidth: figure.stroke(0.5),
    tension: 0,
    fill: false,
  };
  const spread = points.some((p) => p.max > p.min);
  if (!spread) return { line, band: [] };
  const edge = {
    borderWidth: 0,
    pointRadius: 0,
    pointHoverRadius: 0,
    pointHitRadius: 0,
    tension: 0,
    backgroundColor: withAlpha(style.color, opts.bandAlpha ?? 0.16),
    borderColor: 'rgba(0, 0, 0, 0)',
  };
  return {
    line,
    band: [
      { ...edge, label: `${label} (max)`, data: points.map((p) => ({ x: p.x, y: p.max })), fill: '+1' as const },
      { ...edge, label: `${label} (min)`, data: points.map((p) => ({ x: p.x, y: p.min })), fill: false },
    ],
  };
}
