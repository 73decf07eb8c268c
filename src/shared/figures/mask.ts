import type { Chart, ChartConfiguration, Plugin } from 'chart.js';
import { FigureOptionError } from './errors';
import { formatPercent } from './series';
import { figureStyle, viridis, type FigureStyle } from './style';
import { screenOptions } from './screen';
import type { CsvTable, FigureOptions, FigureSpec, MaskInput } from './types';

/** Room right of the grid for the colour bar, its tick labels and its title (points). */
const COLOR_BAR_ROOM = 46;
const COLOR_BAR_STEPS = 64;

/**
 * The ticket's mask seen from the input: per pixel, how many first-layer connections survive. Drawn
 * as vector cells by a plugin (Chart.js has no matrix chart); an invisible point per pixel gives the
 * window a tooltip with the count. Viridis keeps the scale readable in greyscale and for colour-blind
 * readers.
 */
export function maskFigure(mask: MaskInput, options: Pick<FigureOptions, 'widthInches' | 'medium' | 'theme'>): FigureSpec {
  const { height, width, counts } = mask;
  if (!(Number.isInteger(height) && Number.isInteger(width) && height > 0 && width > 0)) {
    throw new FigureOptionError(`the mask heat map needs a positive whole height and width (got ${height}x${width})`);
  }
  if (counts.length !== height * width) {
    throw new FigureOptionError(`the mask heat map has ${counts.length} counts for a ${height}x${width} input (expected ${height * width})`);
  }
  const widthPt = options.widthInches * 72;
  // Axis labels take about 24 pt left and below; size the figure so the grid's cells come out square.
  const gridPt = widthPt - COLOR_BAR_ROOM - 26;
  const heightInches = (gridPt * (height / width) + 26) / 72;
  const fig = figureStyle(options, heightInches / options.widthInches, { heightInches });
  const { size, ink } = fig;
  const max = Math.max(1, ...counts);
  const points: { x: number; y: number; count: number }[] = [];
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) points.push({ x: c + 0.5, y: r + 0.5, count: counts[r * width + c]! });
  }
  const step = Math.max(1, Math.round(Math.min(height, width) / 4));

  const config = {
    type: 'scatter',
    data: { datasets: [{ label: 'Kept connections', data: points, pointRadius: 0, pointHoverRadius: 0, pointHitRadius: 1.5 }] },
    options: {
      responsive: false,
      animation: false,
      layout: { padding: { top: 4, right: COLOR_BAR_ROOM, bottom: 0, left: 0 } },
      ...screenOptions(fig),
      scales: {
        x: {
          type: 'linear',
          min: 0,
          max: width,
          title: { display: true, text: 'Input column', color: ink, font: fig.font(size.titleFont), padding: { top: 1, bottom: 0 } },
          grid: { drawOnChartArea: false, color: ink, lineWidth: fig.stroke(0.75), tickLength: 3 },
          border: { color: ink, width: fig.stroke(0.75) },
          ticks: { color: ink, font: fig.font(size.tickFont), stepSize: step, maxRotation: 0, padding: 2 },
        },
        y: {
          type: 'linear',
          min: 0,
          max: height,
          reverse: true,
          title: { display: true, text: 'Input row', color: ink, font: fig.font(size.titleFont), padding: { top: 0, bottom: 1 } },
          grid: { drawOnChartArea: false, color: ink, lineWidth: fig.stroke(0.75), tickLength: 3 },
          border: { color: ink, width: fig.stroke(0.75) },
          ticks: { color: ink, font: fig.font(size.tickFont), stepSize: step, padding: 2 },
        },
      },
      plugins: {
        legend: { display: false },
        tooltip: {
          enabled: true,
          callbacks: {
            label: (item: { raw: unknown }) => {
              const p = item.raw as { x: number; y: number; count: number };
              return `row ${p.y - 0.5}, column ${p.x - 0.5}: ${p.count} kept`;
            },
          },
        },
      },
    },
    plugins: [heatmapPlugin(height, width, counts, max, fig)],
  } as unknown as ChartConfiguration;

  const t = mask.ticket;
  return {
    kind: 'mask',
    title: t ? `Mask of ticket ${t.name ?? t.id} (${formatPercent(t.weightsRemaining * 100)}% weights remaining)` : 'Mask heat map',
    widthInches: size.widthInches,
    heightInches: size.heightInches,
    config,
    csv: maskCsv(mask),
    series: ['Kept connections'],
  };
}

function heatmapPlugin(height: number, width: number, counts: readonly number[], max: number, fig: FigureStyle): Plugin {
  return {
    id: 'lthMaskHeatmap',
    beforeDatasetsDraw(chart: Chart) {
      const { ctx, chartArea } = chart;
      const xs = chart.scales['x'];
      const ys = chart.scales['y'];
      if (!xs || !ys) return;
      ctx.save();
      for (let r = 0; r < height; r++) {
        const y0 = ys.getPixelForValue(r);
        const y1 = ys.getPixelForValue(r + 1);
        for (let c = 0; c < width; c++) {
          const x0 = xs.getPixelForValue(c);
          const x1 = xs.getPixelForValue(c + 1);
          ctx.fillStyle = viridis(counts[r * width + c]! / max);
          // A hair of overlap so viewers that anti-alias each cell show no seams between them.
          ctx.fillRect(x0, Math.min(y0, y1), x1 - x0 + 0.3, Math.abs(y1 - y0) + 0.3);
        }
      }
      drawColorBar(ctx, chartArea, max, fig);
      ctx.restore();
    },
  };
}

type Ctx = Chart['ctx'];

function drawColorBar(ctx: Ctx, area: { top: number; bottom: number; right: number }, max: number, fig: FigureStyle) {
  const { tickFont, titleFont } = fig.size;
  const family = fig.font(tickFont).family;
  const x = area.right + 7;
  const w = 6;
  const h = area.bottom - area.top;
  for (let i = 0; i < COLOR_BAR_STEPS; i++) {
    // Bottom is 0, top is max, as on a y axis.
    const yTop = area.bottom - ((i + 1) * h) / COLOR_BAR_STEPS;
    ctx.fillStyle = viridis((i + 0.5) / COLOR_BAR_STEPS);
    ctx.fillRect(x, yTop, w, h / COLOR_BAR_STEPS + 0.3);
  }
  ctx.strokeStyle = fig.ink;
  ctx.lineWidth = fig.stroke(0.5);
  ctx.strokeRect(x, area.top, w, h);
  ctx.fillStyle = fig.ink;
  ctx.font = `${tickFont}px ${family}`;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  for (const v of colorBarTicks(max)) {
    const y = area.bottom - (v / max) * h;
    ctx.beginPath();
    ctx.moveTo(x + w, y);
    ctx.lineTo(x + w + 2, y);
    ctx.stroke();
    ctx.fillText(String(v), x + w + 3, y);
  }
  ctx.save();
  ctx.translate(x + w + 3 + tickFont * 2.2 + titleFont * 0.6, (area.top + area.bottom) / 2);
  ctx.rotate(Math.PI / 2);
  ctx.font = `${titleFont}px ${family}`;
  ctx.textAlign = 'center';
  ctx.fillText('Kept connections', 0, 0);
  ctx.restore();
}

/** 0, max and a round value or two between, so the bar reads like an axis. */
export function colorBarTicks(max: number): number[] {
  const raw = max / 4;
  const mag = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let v = 0; v <= max + 1e-9; v += step) ticks.push(Math.round(v));
  return ticks;
}

function maskCsv(mask: MaskInput): CsvTable {
  const t = mask.ticket;
  const rows: (string | number)[][] = [];
  for (let r = 0; r < mask.height; r++) {
    for (let c = 0; c < mask.width; c++) {
      rows.push([t?.id ?? '', t?.trial ?? '', t?.round ?? '', t?.weightsRemaining ?? '', r, c, mask.counts[r * mask.width + c]!]);
    }
  }
  return { columns: ['ticketId', 'trial', 'round', 'weightsRemaining', 'row', 'col', 'keptConnections'], rows };
}
