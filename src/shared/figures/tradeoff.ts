import type { ChartConfiguration } from 'chart.js';
import type { ExperimentDetail, RunResult } from '../results';
import { factorLegend, legendOptions, legendSymbols, type PlottedSeries } from './legend';
import { lineWithBand } from './line-datasets';
import {
  experimentNames,
  filterRounds,
  filterVariants,
  pointsByRound,
  requireExperiments,
  seriesLabel,
  seriesStyle,
  variantsIn,
} from './series';
import { VARIANT_LABEL, VARIANT_ORDER, figureStyle, lineAspect, ticketLabel } from './style';
import { variantName } from '../variants';
import { screenOptions, tooltipOptions } from './screen';
import type { CsvTable, FigureOptions, FigureSpec } from './types';
import { weightsRemainingAxis } from './weights-axis';

interface Metric {
  kind: 'accuracy' | 'early-stop';
  title: string;
  axisTitle: string;
  csvColumn: string;
  /** Plotted value (percent for accuracy). */
  plot: (r: RunResult) => number;
  /** CSV value, in stored units so nothing is lost. */
  raw: (r: RunResult) => number;
  /** Only variants that train: an untrained supermask has no early-stop iteration (its 0 is not a measurement). */
  trainedOnly?: boolean;
}

export const ACCURACY_METRIC: Metric = {
  kind: 'accuracy',
  title: 'Test accuracy at early stop vs. weights remaining',
  axisTitle: 'Test accuracy (%)',
  csvColumn: 'testAccuracy',
  plot: (r) => r.testAccuracy * 100,
  raw: (r) => r.testAccuracy,
};

export const EARLY_STOP_METRIC: Metric = {
  kind: 'early-stop',
  title: 'Early-stopping iteration vs. weights remaining',
  axisTitle: 'Early-stop iteration',
  csvColumn: 'earlyStopIteration',
  plot: (r) => r.earlyStopIteration,
  raw: (r) => r.earlyStopIteration,
  trainedOnly: true,
};

/** A metric against weights remaining: one mean line with a min/max band per experiment and variant. */
export function tradeoffFigure(metric: Metric, input: readonly ExperimentDetail[], options: FigureOptions): FigureSpec {
  requireExperiments(input, metric.kind);
  const details = filterVariants(filterRounds(input, options.rounds), options.variants);
  const fig = figureStyle(options, lineAspect(options.widthInches));
  const { size, ink } = fig;
  const names = experimentNames(details);
  const datasets: object[] = [];
  const plotted: PlottedSeries[] = [];
  const series: string[] = [];
  const xs: number[] = [];
  details.forEach((d, ei) => {
    for (const variant of variantsIn([d], options.variants)) {
      const own = d.runs.filter((r) => r.variant === variant);
      // As in the paper, controls start from the dense network's point: at round 0 every variant is that network.
      // Untrained supermasks have their own round-0 point (the dense network at init) and never borrow the trained one.
      const untrained = variant === 'supermask' || variant === 'supermask-signed';
      if (untrained && metric.trainedOnly) continue;
      const anchor = variant !== 'ticket' && !untrained && !own.some((r) => r.round === 0) ? d.runs.filter((r) => r.variant === 'ticket' && r.round === 0) : [];
      const points = pointsByRound([...anchor, ...own], metric.plot);
      if (points.length === 0) continue;
      xs.push(...points.map((p) => p.x));
      const method = d.spec.pruning.method;
      const label = seriesLabel(names, ei, variant, d.spec);
      const style = seriesStyle(details.length, ei, variant);
      const { line, band } = lineWithBand(label, points, style, fig);
      series.push(label);
      const first = datasets.length;
      datasets.push(line, ...band);
      plotted.push({ group: names[ei]!, color: style.color, variant, datasets: range(first, datasets.length), label: variant === 'ticket' ? ticketLabel(method) : variantName(d.spec, variant, VARIANT_LABEL) });
    }
  });

  const legend = factorLegend(plotted, ink);
  const config = {
    type: 'line',
    data: { datasets },
    options: {
      responsive: false,
      animation: false,
      layout: { padding: { top: 0, right: 4, bottom: 0, left: 0 } },
      ...screenOptions(fig),
      scales: {
        x: weightsRemainingAxis(xs, fig),
        y: {
          type: 'linear',
          grace: '4%',
          // An iteration count is never negative: the band's grace must not push the axis below 0.
          ...(metric.kind === 'early-stop' ? { min: 0 } : {}),
          title: { display: true, text: metric.axisTitle, color: ink, font: fig.font(size.titleFont), padding: { top: 0, bottom: 2 } },
          grid: { color: fig.grid, lineWidth: fig.stroke(0.5), tickLength: 3 },
          border: { color: ink, width: fig.stroke(0.75) },
          ticks: { color: ink, font: fig.font(size.tickFont), maxTicksLimit: size.widthInches >= 5 ? 7 : 6, padding: 2 },
        },
      },
      plugins: {
        legend: legendOptions(legend, fig),
        tooltip: tooltipOptions(fig, series),
      },
    },
    plugins: [legendSymbols(legend, fig)],
  } as unknown as ChartConfiguration;

  return {
    kind: metric.kind,
    title: metric.title,
    widthInches: size.widthInches,
    heightInches: size.heightInches,
    config,
    csv: tradeoffCsv(metric, details, names),
    series,
  };
}

function tradeoffCsv(metric: Metric, details: readonly ExperimentDetail[], names: readonly string[]): CsvTable {
  const rows = details.flatMap((d, i) =>
    sortRuns(d.runs).map((r) => [d.id, names[i]!, r.trial, r.variant, r.round, r.weightsRemaining, metric.raw(r)]),
  );
  return { columns: ['experimentId', 'experiment', 'trial', 'variant', 'round', 'weightsRemaining', metric.csvColumn], rows };
}

export function sortRuns(runs: readonly RunResult[]): RunResult[] {
  return [...runs].sort((a, b) => VARIANT_ORDER.indexOf(a.variant) - VARIANT_ORDER.indexOf(b.variant) || a.round - b.round || a.trial - b.trial);
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}
