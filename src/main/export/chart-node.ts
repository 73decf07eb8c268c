import { setPngDpi } from './png-dpi';
import { createCanvas, SvgExportFlag, type Canvas } from '@napi-rs/canvas';
import { Chart, registerables, type ChartItem, type Plugin } from 'chart.js';
import type { FigureSpec } from '../../shared/figures';

let registered = false;

/** Registers every Chart.js controller, scale and plugin once; the figures rely on Filler for bands. */
function ensureRegistered(): void {
  if (registered) return;
  Chart.register(...registerables);
  registered = true;
}

/** Paper is white; a transparent PNG turns black in some viewers and slide themes. */
const whiteBackground: Plugin = {
  id: 'lthWhiteBackground',
  beforeDraw(chart) {
    const { ctx } = chart;
    ctx.save();
    ctx.globalCompositeOperation = 'destination-over';
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, chart.width, chart.height);
    ctx.restore();
  },
};

/** Figure size in chart units (points), whole numbers because canvases are. */
export function pointSize(spec: FigureSpec): { width: number; height: number } {
  return { width: Math.round(spec.widthInches * 72), height: Math.round(spec.heightInches * 72) };
}

/** Draws, reads the result, then destroys the chart (which clears the canvas, hence the callback). */
function draw<T>(spec: FigureSpec, canvas: unknown, devicePixelRatio: number, read: () => T): T {
  ensureRegistered();
  const config = spec.config;
  const chart = new Chart(canvas as ChartItem, {
    ...config,
    options: { ...config.options, responsive: false, animation: false, devicePixelRatio, events: [] },
    plugins: [whiteBackground, ...(config.plugins ?? [])],
  });
  // Drawing is synchronous with animation off; destroying releases Chart.js's registry entry.
  try {
    return read();
  } finally {
    chart.destroy();
  }
}

/**
 * A true vector SVG: Skia's SVG canvas turns text into paths, so no font is needed to view it, and
 * nothing is rasterised. Width and height carry the physical size; the viewBox lets PDF scale it.
 */
export function renderSvg(spec: FigureSpec): string {
  const { width, height } = pointSize(spec);
  const canvas = createCanvas(width, height, SvgExportFlag.ConvertTextToPaths);
  const svg = draw(spec, canvas, 1, () => canvas.getContent().toString('utf8'));
  return withPhysicalSize(svg, width, height, spec.widthInches, spec.heightInches);
}

export function withPhysicalSize(svg: string, width: number, height: number, widthInches: number, heightInches: number): string {
  return svg.replace(/<svg\b([^>]*)>/, (_, attrs: string) => {
    const kept = attrs.replace(/\s(width|height|viewBox)="[^"]*"/g, '');
    return `<svg${kept} width="${fmt(widthInches)}in" height="${fmt(heightInches)}in" viewBox="0 0 ${width} ${height}">`;
  });
}

/** A PNG `dpi` pixels per inch wide at the figure's physical width, with that resolution in pHYs. */
export function renderPng(spec: FigureSpec, dpi = 300): Buffer {
  const { width, height } = pointSize(spec);
  const pixelWidth = Math.round(spec.widthInches * dpi);
  const canvas: Canvas = createCanvas(width, height);
  // Chart.js sizes the backing store to floor(width * ratio); the nudge keeps float error from losing a pixel.
  return draw(spec, canvas, (pixelWidth + 1e-6) / width, () => setPngDpi(canvas.encodeSync('png'), dpi));
}

function fmt(x: number): string {
  return String(Math.round(x * 1000) / 1000);
}
