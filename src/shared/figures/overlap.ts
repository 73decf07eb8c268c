import type { ChartConfiguration, Plugin } from 'chart.js';
import type { OverlapMatrix } from '../analyses/overlap';
import { FigureOptionError } from './errors';
import { screenOptions } from './screen';
import { figureStyle, viridis } from './style';
import type { FigureOptions, FigureSpec } from './types';

/**
 * The overlap matrix as a heat map: cell (i, j) is the IoU of the kept weights of masks i and j, coloured on
 * a scale stretched to the off-diagonal range (the diagonal is 1 by definition), with its value written in it.
 */
export function overlapFigure(m: OverlapMatrix | undefined, options: FigureOptions): FigureSpec {
  if (!m || m.masks.length < 2) throw new FigureOptionError('the overlap figure needs two or more masks (lth masks overlap A B ... --out DIR)');
  const n = m.masks.length;
  const fig = figureStyle(options, 1);
  const { ink, size } = fig;
  const off = m.iou.flatMap((row, i) => row.filter((_, j) => j !== i));
  // One distinct value (two masks) has no range to stretch over: the scale is then the whole of 0 to 1.
  const spread = Math.max(...off) - Math.min(...off) > 1e-9;
  const lo = spread ? Math.min(...off) : 0;
  const hi = spread ? Math.max(...off) : 1;
  const t = (v: number) => (hi > lo ? Math.min(1, Math.max(0, (v - lo) / (hi - lo))) : 0.5);
  const cells = m.iou.flatMap((row, i) => row.map((v, j) => ({ x: j, y: i, v })));
  const names = m.masks.map((_, i) => `[${i + 1}]`);
  const labels: Plugin = {
    id: 'cellLabels',
    afterDatasetsDraw(chart) {
      const ctx = chart.ctx;
      const meta = chart.getDatasetMeta(0);
      ctx.save();
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.font = `${size.tickFont}px ${fig.font(size.tickFont).family}`;
      meta.data.forEach((el, k) => {
        const c = cells[k]!;
        ctx.fillStyle = t(c.v) > 0.6 || c.x === c.y ? '#000000' : '#ffffff';
        ctx.fillText(c.v.toFixed(2), el.x, el.y);
      });
      ctx.restore();
    },
  };
  const axis = (title: string, reverse: boolean) => ({
    type: 'linear',
    min: -0.5,
    max: n - 0.5,
    reverse,
    title: { display: true, text: title, color: ink, font: fig.font(size.titleFont), padding: { top: 2, bottom: 2 } },
    grid: { display: false },
    border: { color: ink, width: fig.stroke(0.75) },
    afterBuildTicks: (scale: { ticks: { value: number }[] }) => {
      scale.ticks = names.map((_, i) => ({ value: i }));
    },
    ticks: { color: ink, font: fig.font(size.tickFont), callback: (v: number) => names[v] ?? '', maxRotation: 0 },
  });
  const config = {
    type: 'scatter',
    data: {
      datasets: [
        {
          label: 'IoU',
          data: cells,
          pointStyle: 'rect',
          // A square filling its cell: Chart.js draws 'rect' with side radius·√2.
          pointRadius: (c: { chart: { chartArea?: { left: number; right: number } } }) => {
            const a = c.chart.chartArea;
            return a ? (a.right - a.left) / n / Math.SQRT2 : 8;
          },
          pointHoverRadius: (c: { chart: { chartArea?: { left: number; right: number } } }) => {
            const a = c.chart.chartArea;
            return a ? (a.right - a.left) / n / Math.SQRT2 : 8;
          },
          backgroundColor: cells.map((c) => (c.x === c.y ? '#d9d9d9' : viridis(t(c.v)))),
          borderWidth: 0,
        },
      ],
    },
    options: {
      responsive: false,
      animation: false,
      layout: { padding: { top: 0, right: 4, bottom: 0, left: 0 } },
      ...screenOptions(fig),
      scales: { x: axis('Mask', false), y: axis('Mask', true) },
      plugins: {
        legend: { display: false },
        title: {
          display: true,
          text: `IoU of kept weights, colour from ${lo.toFixed(2)} (dark) to ${hi.toFixed(2)} (bright)`,
          color: ink,
          font: fig.font(size.legendFont),
          padding: { top: 0, bottom: 4 },
        },
        tooltip: { enabled: true },
      },
    },
    plugins: [labels],
  } as unknown as ChartConfiguration;
  const rows = m.iou.flatMap((row, i) => row.map((v, j) => [i + 1, m.masks[i]!.ref, m.masks[i]!.label, j + 1, m.masks[j]!.ref, v, m.hamming[i]![j]!]));
  return {
    kind: 'overlap',
    title: 'Mask overlap (IoU of kept weights)',
    widthInches: size.widthInches,
    heightInches: size.widthInches,
    config,
    csv: { columns: ['i', 'maskA', 'labelA', 'j', 'maskB', 'iou', 'hamming'], rows },
    series: m.masks.map((x, i) => `${names[i]} ${x.label}`),
  };
}
