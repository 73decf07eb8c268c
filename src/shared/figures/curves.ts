import type { ChartConfiguration } from 'chart.js';
import { stat } from '../aggregate';
import type { ExperimentDetail } from '../results';
import { factorLegend, legendOptions, legendSymbols, type PlottedSeries } from './legend';
import { lineWithBand, type BandPoint } from './line-datasets';
import { variantName } from '../variants';
import { chosenRounds, experimentNames, formatPercent, groupBy, requireExperiments, variantsIn } from './series';
import { VARIANT_LABEL, VARIANT_STYLE, categoricalColor, figureStyle, lineAspect, ticketLabel } from './style';
import { screenOptions, tooltipOptions } from './screen';
import { range, sortRuns } from './tradeoff';
import type { CsvTable, FigureOptions, FigureSpec } from './types';

/** Rounds shown when none are chosen: more lines than this turn into spaghetti at column width. */
const DEFAULT_ROUND_COUNT = 4;
/** Markers along a curve: enough to tell dashed series apart, few enough not to hide the line. */
const MARKERS_PER_CURVE = 8;

/**
 * Training curves (test accuracy vs. iteration) for chosen rounds: colour names the round, dash and
 * marker the variant, as in the paper's Figure 3.
 */
export function curvesFigure(input: readonly ExperimentDetail[], options: FigureOptions): FigureSpec {
  requireExperiments(input, 'curves');
  const { rounds, details } = chosenRounds(input, options, DEFAULT_ROUND_COUNT);
  const fig = figureStyle(options, lineAspect(options.widthInches));
  const { size, ink } = fig;
  const names = experimentNames(details);
  const datasets: object[] = [];
  const plotted: PlottedSeries[] = [];
  const series: string[] = [];
  const lows: number[] = [];
  let colourIndex = 0;

  details.forEach((d, ei) => {
    const prefix = details.length > 1 ? `${names[ei]} · ` : '';
    for (const round of rounds) {
      const atRound = d.runs.filter((r) => r.round === round);
      if (atRound.length === 0) continue;
      const color = categoricalColor(colourIndex++);
      for (const variant of variantsIn([d], options.variants)) {
        const runs = atRound.filter((r) => r.variant === variant && r.curve.length > 0);
        if (runs.length === 0) continue;
        const points = curvePoints(runs.map((r) => r.curve));
        const pm = stat(runs.map((r) => r.weightsRemaining)).mean * 100;
        // Pruning at init's own masks are its method's, not winning tickets (as the accuracy figure says).
        const name = variant === 'ticket' ? ticketLabel(d.spec.pruning.method) : variantName(d.spec, variant, VARIANT_LABEL);
        const label = `${prefix}${formatPercent(pm)}% ${name.toLowerCase()}`;
        const every = Math.max(1, Math.ceil(points.length / MARKERS_PER_CURVE));
        const style = { ...VARIANT_STYLE[variant], color };
        const { line, band } = lineWithBand(label, points, style, fig, {
          pointRadius: (ctx) => (ctx.dataIndex % every === every - 1 ? size.pointRadius : 0),
          bandAlpha: 0.12,
        });
        lows.push(robustLow(points));
        series.push(label);
        const first = datasets.length;
        datasets.push(line, ...band);
        plotted.push({ group: `${prefix}${formatPercent(pm)}% weights`, color, variant, datasets: range(first, datasets.length), label: variant === 'ticket' ? name : undefined });
      }
    }
  });

  const legend = factorLegend(plotted, ink);
  const yMin = lows.length > 0 ? niceFloor(Math.min(...lows)) : undefined;
  const config = {
    type: 'line',
    data: { datasets },
    options: {
      responsive: false,
      animation: false,
      layout: { padding: { top: 0, right: 6, bottom: 0, left: 0 } },
      ...screenOptions(fig),
      scales: {
        x: {
          type: 'linear',
          min: 0,
          title: { display: true, text: 'Training iteration', color: ink, font: fig.font(size.titleFont), padding: { top: 2, bottom: 0 } },
          grid: { color: fig.grid, lineWidth: fig.stroke(0.5), tickLength: 3 },
          border: { color: ink, width: fig.stroke(0.75) },
          ticks: { color: ink, font: fig.font(size.tickFont), maxTicksLimit: size.widthInches >= 5 ? 9 : 5, maxRotation: 0, padding: 2 },
        },
        y: {
          type: 'linear',
          min: yMin,
          title: { display: true, text: 'Test accuracy (%)', color: ink, font: fig.font(size.titleFont), padding: { top: 0, bottom: 2 } },
          grid: { color: fig.grid, lineWidth: fig.stroke(0.5), tickLength: 3 },
          border: { color: ink, width: fig.stroke(0.75) },
          ticks: { color: ink, font: fig.font(size.tickFont), maxTicksLimit: 6, padding: 2 },
        },
      },
      plugins: { legend: legendOptions(legend, fig), tooltip: tooltipOptions(fig, series) },
    },
    plugins: [legendSymbols(legend, fig)],
  } as unknown as ChartConfiguration;

  return {
    kind: 'curves',
    title: 'Test accuracy during training',
    widthInches: size.widthInches,
    heightInches: size.heightInches,
    config,
    csv: curvesCsv(details, names),
    series,
  };
}

/** Mean and range over trials at each evaluated iteration (trials share the evaluation schedule). */
function curvePoints(curves: readonly { iteration: number; testAccuracy: number }[][]): BandPoint[] {
  const byIteration = groupBy(curves.flat(), (p) => p.iteration);
  return [...byIteration.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([iteration, ps]) => {
      const s = stat(ps.map((p) => p.testAccuracy * 100));
      return { x: iteration, mean: s.mean, min: s.min, max: s.max };
    });
}

/**
 * The accuracy the plot must show: the lowest band edge after the first tenth of training. The first
 * evaluations (near chance) would otherwise squash the part of the curves that differs, as the paper
 * also crops them.
 */
function robustLow(points: readonly BandPoint[]): number {
  const last = points[points.length - 1]?.x ?? 0;
  const later = points.filter((p) => p.x >= last * 0.1);
  return Math.min(...(later.length > 0 ? later : points).map((p) => p.min));
}

/** A round lower bound a little below `low`, so the lowest tick is a clean number (90, not 91.3). */
function niceFloor(low: number): number {
  const step = low < 80 ? 10 : low < 95 ? 5 : 1;
  return Math.max(0, Math.floor((low - step * 0.2) / step) * step);
}

function curvesCsv(details: readonly ExperimentDetail[], names: readonly string[]): CsvTable {
  const rows = details.flatMap((d, i) =>
    sortRuns(d.runs).flatMap((r) =>
      r.curve.map((p) => [d.id, names[i]!, r.trial, r.variant, r.round, r.weightsRemaining, p.iteration, p.testAccuracy, p.valAccuracy, p.valLoss]),
    ),
  );
  return {
    columns: ['experimentId', 'experiment', 'trial', 'variant', 'round', 'weightsRemaining', 'iteration', 'testAccuracy', 'valAccuracy', 'valLoss'],
    rows,
  };
}
