import type { Chart, LegendElement, LegendItem, Plugin, PointStyle } from 'chart.js';
import { drawPoint } from 'chart.js/helpers';
import type { Variant } from '../spec';
import { INK, VARIANT_LABEL, VARIANT_STYLE, type FigureStyle } from './style';

/** Legend symbol width in points (print): long enough to show a dash pattern with the marker on it. */
export const LEGEND_SYMBOL_WIDTH = 18;

/** One legend line: its symbol, and the datasets (lines and their bands) a click in the window toggles. */
export interface LegendEntry {
  text: string;
  color: string;
  dash: number[];
  pointStyle: PointStyle | false;
  datasets: number[];
}

/** A plotted line: its group (experiment or round) and variant, which the legend may factor apart. */
export interface PlottedSeries {
  group: string;
  color: string;
  variant: Variant;
  datasets: number[];
  /** The variant's name for this series when it is not VARIANT_LABEL's (a pruning-at-init method's own masks). */
  label?: string;
}

/**
 * One entry per line when only one thing varies; otherwise colour entries for the groups plus black
 * dash-and-marker entries for the variants (n + m entries instead of n * m), which keeps a column-wide
 * legend from eating the plot.
 */
export function factorLegend(series: readonly PlottedSeries[], ink: string = INK): LegendEntry[] {
  const groups = unique(series.map((s) => s.group));
  const variants = unique(series.map((s) => s.variant));
  if (groups.length <= 1) {
    return series.map((s) => ({ text: s.label ?? VARIANT_LABEL[s.variant], color: s.color, ...styleOf(s.variant), datasets: s.datasets }));
  }
  if (variants.length <= 1) {
    return series.map((s) => ({ text: s.group, color: s.color, ...styleOf(s.variant), datasets: s.datasets }));
  }
  const byGroup = groups.map((g) => {
    const members = series.filter((s) => s.group === g);
    return { text: g, color: members[0]!.color, dash: [], pointStyle: false as const, datasets: members.flatMap((s) => s.datasets) };
  });
  const byVariant = variants.map((v) => ({
    // IMP's tickets and an at-init method's masks share the 'ticket' line style: name both.
    text: unique(series.filter((s) => s.variant === v).map((s) => s.label ?? VARIANT_LABEL[v])).join(' / '),
    color: ink,
    ...styleOf(v),
    datasets: series.filter((s) => s.variant === v).flatMap((s) => s.datasets),
  }));
  return [...byGroup, ...byVariant];
}

function styleOf(v: Variant): { dash: number[]; pointStyle: PointStyle } {
  return { dash: VARIANT_STYLE[v].dash, pointStyle: VARIANT_STYLE[v].pointStyle };
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * Chart.js draws a legend symbol as a box or as a marker; a greyscale print needs the line's dash and
 * the marker together. Chart.js still lays the legend out (and handles clicks in the window); this
 * draws each symbol into the room it left empty.
 */
export function legendSymbols(entries: readonly LegendEntry[], style: FigureStyle): Plugin {
  const size = style.size;
  return {
    id: 'lthLegendSymbols',
    afterDraw(chart) {
      const legend = (chart as unknown as { legend?: { legendItems?: LegendItem[]; legendHitBoxes?: Box[] } }).legend;
      const items = legend?.legendItems ?? [];
      const boxes = legend?.legendHitBoxes ?? [];
      const ctx = chart.ctx;
      items.forEach((item, i) => {
        const entry = entries[i];
        const box = boxes[i];
        if (!entry || !box) return;
        const y = box.top + box.height / 2;
        const x0 = box.left;
        const x1 = box.left + style.symbolWidth;
        ctx.save();
        ctx.globalAlpha = item.hidden ? 0.3 : 1;
        ctx.strokeStyle = entry.color;
        ctx.fillStyle = entry.color;
        ctx.lineWidth = size.lineWidth;
        ctx.setLineDash(entry.dash);
        ctx.beginPath();
        ctx.moveTo(x0, y);
        ctx.lineTo(x1, y);
        ctx.stroke();
        if (entry.pointStyle) {
          ctx.setLineDash([]);
          ctx.lineWidth = style.stroke(0.5);
          drawPoint(ctx, { pointStyle: entry.pointStyle, radius: size.pointRadius, rotation: 0, borderWidth: style.stroke(0.5) }, (x0 + x1) / 2, y);
        }
        ctx.restore();
      });
    },
  };
}

/** Legend options that pair with legendSymbols: Chart.js lays out the text, the plugin draws the symbols. */
export function legendOptions(entries: readonly LegendEntry[], style: FigureStyle) {
  const size = style.size;
  return {
    display: entries.length > 0,
    position: 'top' as const,
    align: 'center' as const,
    labels: {
      boxWidth: style.symbolWidth,
      boxHeight: size.legendFont * 0.8,
      padding: 5,
      color: style.ink,
      font: style.font(size.legendFont),
      generateLabels: (chart: Chart): LegendItem[] =>
        entries.map((e, index) => ({
          text: e.text,
          index,
          hidden: e.datasets.every((d) => !chart.isDatasetVisible(d)),
          fillStyle: 'rgba(0, 0, 0, 0)',
          strokeStyle: 'rgba(0, 0, 0, 0)',
          fontColor: style.ink,
          lineWidth: 0,
        })),
    },
    onClick: (_event: unknown, item: LegendItem, legend: LegendElement<'line'>) => {
      const entry = item.index === undefined ? undefined : entries[item.index];
      if (!entry) return;
      const chart = legend.chart;
      const show = entry.datasets.every((d) => !chart.isDatasetVisible(d));
      for (const d of entry.datasets) chart.setDatasetVisibility(d, show);
      chart.update();
    },
  };
}
