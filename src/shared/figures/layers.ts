import type { ChartConfiguration } from 'chart.js';
import { stat } from '../aggregate';
import type { ExperimentDetail, RunResult } from '../results';
import { FigureOptionError } from './errors';
import { chosenRounds, experimentNames, formatPercent, requireExperiments } from './series';
import { figureStyle, lineAspect, sequentialColors } from './style';
import { screenOptions } from './screen';
import { sortRuns } from './tradeoff';
import type { CsvTable, FigureOptions, FigureSpec } from './types';

const DEFAULT_ROUND_COUNT = 5;

/**
 * Density per layer for chosen rounds: bars per layer, one per round. Rounds are ordinal, so they get
 * a sequential palette (dark = dense) that keeps its order in greyscale. Ticket masks are used; the
 * controls share their per-layer density by construction.
 */
export function layersFigure(input: readonly ExperimentDetail[], options: FigureOptions): FigureSpec {
  requireExperiments(input, 'layers');
  const { rounds, details } = chosenRounds(input, options, DEFAULT_ROUND_COUNT);
  const fig = figureStyle(options, lineAspect(options.widthInches));
  const { size, ink } = fig;
  const names = experimentNames(details);
  const layerNames = longest(details.map((d) => d.layers.map((l) => l.name)));
  if (layerNames.length === 0) throw new FigureOptionError('the experiment records no layers: nothing to plot per layer');

  const groups: { label: string; runs: RunResult[] }[] = [];
  details.forEach((d, ei) => {
    for (const round of rounds) {
      const runs = densityRuns(d.runs.filter((r) => r.round === round));
      if (runs.length === 0) continue;
      const pm = stat(runs.map((r) => r.weightsRemaining)).mean * 100;
      const label = `${details.length > 1 ? `${names[ei]} · ` : ''}Round ${round} (${formatPercent(pm)}%)`;
      groups.push({ label, runs });
    }
  });
  const colors = sequentialColors(groups.length);
  const datasets = groups.map((g, i) => ({
    label: g.label,
    data: layerNames.map((_, li) => stat(g.runs.map((r) => r.layerDensity[li] ?? NaN)).mean * 100),
    backgroundColor: colors[i],
    borderColor: ink,
    borderWidth: fig.medium === 'print' ? 0.4 : 1,
    barPercentage: 0.9,
    categoryPercentage: 0.8,
  }));

  const config = {
    type: 'bar',
    data: { labels: layerNames, datasets },
    options: {
      responsive: false,
      animation: false,
      layout: { padding: { top: 0, right: 4, bottom: 0, left: 0 } },
      ...screenOptions(fig),
      scales: {
        x: {
          type: 'category',
          title: { display: true, text: 'Layer', color: ink, font: fig.font(size.titleFont), padding: { top: 2, bottom: 0 } },
          grid: { display: false },
          border: { color: ink, width: fig.stroke(0.75) },
          ticks: { color: ink, font: fig.font(size.tickFont), maxRotation: 0, autoSkip: false, padding: 2 },
        },
        y: {
          type: 'linear',
          min: 0,
          max: 100,
          title: { display: true, text: 'Weights remaining (%)', color: ink, font: fig.font(size.titleFont), padding: { top: 0, bottom: 2 } },
          grid: { color: fig.grid, lineWidth: fig.stroke(0.5), tickLength: 3 },
          border: { color: ink, width: fig.stroke(0.75) },
          ticks: { color: ink, font: fig.font(size.tickFont), stepSize: 20, padding: 2 },
        },
      },
      plugins: {
        legend: {
          display: true,
          position: 'top',
          labels: { boxWidth: size.legendFont * 1.2, boxHeight: size.legendFont * 0.9, padding: 5, color: ink, font: fig.font(size.legendFont) },
        },
        tooltip: { enabled: true },
      },
    },
  } as unknown as ChartConfiguration;

  return {
    kind: 'layers',
    title: 'Weights remaining per layer',
    widthInches: size.widthInches,
    heightInches: size.heightInches,
    config,
    csv: layersCsv(details, names),
    series: groups.map((g) => g.label),
  };
}

/** Ticket runs when there are any: their masks are the ones found by pruning. */
function densityRuns(runs: RunResult[]): RunResult[] {
  const tickets = runs.filter((r) => r.variant === 'ticket');
  return tickets.length > 0 ? tickets : runs;
}

function longest(lists: string[][]): string[] {
  return lists.reduce((a, b) => (b.length > a.length ? b : a), [] as string[]);
}

function layersCsv(details: readonly ExperimentDetail[], names: readonly string[]): CsvTable {
  const rows = details.flatMap((d, i) =>
    sortRuns(d.runs).flatMap((r) =>
      r.layerDensity.map((density, li) => [d.id, names[i]!, r.trial, r.variant, r.round, r.weightsRemaining, li, d.layers[li]?.name ?? `layer ${li}`, density]),
    ),
  );
  return {
    columns: ['experimentId', 'experiment', 'trial', 'variant', 'round', 'weightsRemaining', 'layerIndex', 'layer', 'density'],
    rows,
  };
}
