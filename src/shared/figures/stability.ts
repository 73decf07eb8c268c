import type { ChartConfiguration } from 'chart.js';
import type { StabilityPointResult } from '../analyses/stability';
import { testedDistances } from '../analyses/early-bird';
import type { ExperimentDetail } from '../results';
import { FigureOptionError } from './errors';
import { screenOptions } from './screen';
import { experimentNames } from './series';
import { categoricalColor, figureStyle, lineAspect, type FigureStyle } from './style';
import type { CsvTable, FigureOptions, FigureSpec } from './types';

/** The instability analyses among the inputs; an IMP experiment has nothing to show here. */
function stabilityInputs(details: readonly ExperimentDetail[], figure: string): ExperimentDetail[] {
  if (details.length === 0) throw new FigureOptionError(`the ${figure} figure needs at least one instability analysis (--experiment ID)`);
  for (const d of details) {
    if (!d.stability) throw new FigureOptionError(`experiment ${d.id} is not an instability analysis: the ${figure} figure shows lth analyze stability results`);
    if (d.stability.points.length === 0) throw new FigureOptionError(`experiment ${d.id} has no finished point yet: nothing to plot`);
  }
  return [...details];
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function byPoint(points: readonly StabilityPointResult[]): StabilityPointResult[][] {
  const m = new Map<number, StabilityPointResult[]>();
  for (const p of points) m.set(p.point, [...(m.get(p.point) ?? []), p]);
  return [...m.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v);
}

function axis(fig: FigureStyle, title: string, extra: Record<string, unknown>) {
  const { ink, size } = fig;
  return {
    title: { display: true, text: title, color: ink, font: fig.font(size.titleFont), padding: { top: 2, bottom: 2 } },
    grid: { color: fig.grid, lineWidth: fig.stroke(0.5), tickLength: 3 },
    border: { color: ink, width: fig.stroke(0.75) },
    ticks: { color: ink, font: fig.font(size.tickFont), padding: 2, maxRotation: 0 },
    ...extra,
  };
}

function chart(fig: FigureStyle, type: 'line', labels: (string | number)[] | undefined, datasets: object[], x: object, y: object): ChartConfiguration {
  const { ink, size } = fig;
  return {
    type,
    data: { ...(labels ? { labels } : {}), datasets },
    options: {
      responsive: false,
      animation: false,
      layout: { padding: { top: 0, right: 4, bottom: 0, left: 0 } },
      ...screenOptions(fig),
      scales: { x, y },
      plugins: {
        legend: {
          display: true,
          position: 'top',
          labels: { boxWidth: size.legendFont * 1.6, boxHeight: size.legendFont * 0.5, padding: 5, color: ink, font: fig.font(size.legendFont), filter: (i: { text: string }) => !i.text.startsWith('_') },
        },
        tooltip: { enabled: true },
      },
    },
  } as unknown as ChartConfiguration;
}

/** Test error along the linear path between the two copies, one line per starting point (mean over trials). */
export function stabilityPathFigure(input: readonly ExperimentDetail[], options: FigureOptions): FigureSpec {
  const details = stabilityInputs(input, 'stability-path');
  const fig = figureStyle(options, lineAspect(options.widthInches));
  const names = experimentNames(details);
  const series: string[] = [];
  const datasets: object[] = [];
  let colour = 0;
  details.forEach((d, ei) => {
    for (const group of byPoint(d.stability!.points)) {
      const label = `${details.length > 1 ? `${names[ei]} · ` : ''}${group[0]!.label}`;
      const c = categoricalColor(colour++);
      const alphas = group[0]!.alphas;
      datasets.push({
        label,
        data: alphas.map((a, i) => ({ x: a, y: mean(group.map((g) => g.testError[i]!)) * 100 })),
        borderColor: c,
        backgroundColor: c,
        borderWidth: fig.stroke(1.2),
        pointRadius: fig.medium === 'print' ? 1.2 : 2.5,
        tension: 0,
      });
      series.push(label);
    }
  });
  const config = chart(
    fig,
    'line',
    undefined,
    datasets,
    axis(fig, 'Interpolation α (copy A → copy B)', { type: 'linear', min: 0, max: 1, ticks: { color: fig.ink, font: fig.font(fig.size.tickFont), stepSize: 0.25, callback: (v: number) => String(Math.round(v * 100) / 100) } }),
    // An error is never negative: a flat path (every α at 0%) would otherwise be centred on 0, from -1 to 1.
    axis(fig, 'Test error (%)', { type: 'linear', suggestedMin: 0 }),
  );
  return { kind: 'stability-path', title: 'Error along the linear path between two copies', widthInches: fig.size.widthInches, heightInches: fig.size.heightInches, config, csv: stabilityCsv(details, names), series };
}

/**
 * The error barrier per starting point with its min-max over trials, and the stability threshold. Against the
 * rewind iteration k (evenly spaced categories: rewind lists are roughly geometric) for a dense sweep, or
 * against weights remaining for the rounds of an IMP experiment (all starting from the same k).
 */
export function stabilityBarrierFigure(input: readonly ExperimentDetail[], options: FigureOptions): FigureSpec {
  const details = stabilityInputs(input, 'stability-barrier');
  const fig = figureStyle(options, lineAspect(options.widthInches));
  const names = experimentNames(details);
  // The rounds of an IMP experiment differ in weights, not in k, even before a second one has finished.
  const sameStart = details.every(
    (d) => d.spec.stability?.sourceExperimentId !== undefined || (new Set(d.stability!.points.map((p) => p.startIteration)).size === 1 && new Set(d.stability!.points.map((p) => p.point)).size > 1),
  );
  const keys = sameStart
    ? null
    : [...new Set(details.flatMap((d) => d.stability!.points.map((p) => p.startIteration)))].sort((a, b) => a - b);
  const series: string[] = [];
  const datasets: object[] = [];
  details.forEach((d, ei) => {
    const c = categoricalColor(ei);
    const groups = byPoint(d.stability!.points);
    const at = (g: StabilityPointResult[]) => (sameStart ? g[0]!.weightsRemaining * 100 : keys!.indexOf(g[0]!.startIteration));
    const stat = (g: StabilityPointResult[], f: (xs: number[]) => number) => f(g.map((p) => p.barrier)) * 100;
    const label = details.length > 1 ? names[ei]! : 'Error barrier';
    datasets.push({ label, data: groups.map((g) => ({ x: at(g), y: stat(g, mean) })), borderColor: c, backgroundColor: c, borderWidth: fig.stroke(1.2), pointRadius: fig.medium === 'print' ? 1.6 : 3, tension: 0 });
    // Min and max over trials as thin unlabelled lines (legend entries starting with '_' are hidden).
    for (const f of [(xs: number[]) => Math.min(...xs), (xs: number[]) => Math.max(...xs)]) {
      datasets.push({ label: '_range', data: groups.map((g) => ({ x: at(g), y: stat(g, f) })), borderColor: c, borderWidth: fig.stroke(0.4), borderDash: [2, 2], pointRadius: 0, tension: 0 });
    }
    series.push(label);
  });
  const threshold = details[0]!.stability!.threshold * 100;
  const xs = sameStart ? datasets.flatMap((ds) => (ds as { data: { x: number }[] }).data.map((p) => p.x)) : [0, keys!.length - 1];
  datasets.push({ label: `Stable below ${threshold}%`, data: [{ x: Math.min(...xs), y: threshold }, { x: Math.max(...xs), y: threshold }], borderColor: fig.ink, borderWidth: fig.stroke(0.6), borderDash: [4, 3], pointRadius: 0 });
  series.push(`Stable below ${threshold}%`);
  const x = sameStart
    ? axis(fig, 'Weights remaining (%)', { type: 'logarithmic', reverse: true })
    : axis(fig, 'Starting point: rewind iteration k', {
        type: 'linear',
        min: -0.3,
        max: keys!.length - 0.7,
        afterBuildTicks: (scale: { ticks: { value: number }[] }) => {
          scale.ticks = keys!.map((_, i) => ({ value: i }));
        },
        ticks: { color: fig.ink, font: fig.font(fig.size.tickFont), callback: (v: number) => (Number.isInteger(v) ? String(keys![v] ?? '') : '') },
      });
  const config = chart(fig, 'line', undefined, datasets, x, axis(fig, 'Error barrier (test error, %)', { type: 'linear', min: 0 }));
  return {
    kind: 'stability-barrier',
    title: sameStart ? 'Instability against weights remaining' : 'Instability against the rewind point',
    widthInches: fig.size.widthInches,
    heightInches: fig.size.heightInches,
    config,
    csv: stabilityCsv(details, names),
    series,
  };
}

function stabilityCsv(details: readonly ExperimentDetail[], names: readonly string[]): CsvTable {
  const rows: (string | number)[][] = [];
  details.forEach((d, i) => {
    for (const p of d.stability!.points) {
      p.alphas.forEach((a, j) => rows.push([d.id, names[i]!, p.trial, p.point, p.label, p.startIteration, p.weightsRemaining, a, p.testError[j]!, p.barrier]));
    }
  });
  return { columns: ['experimentId', 'experiment', 'trial', 'point', 'label', 'startIteration', 'weightsRemaining', 'alpha', 'testError', 'barrier'], rows };
}

/**
 * Early-bird emergence: per ticket run, the distance its rule compares with ε (reference: the newest mask's
 * largest distance to the older kept ones; consecutive: to the previous evaluation), ε, and where the rule held.
 * Series stored before the distance fix (over all weights) are never drawn beside the others.
 */
export function earlyBirdFigure(input: readonly ExperimentDetail[], options: FigureOptions): FigureSpec {
  if (input.length === 0) throw new FigureOptionError('the early-bird figure needs at least one experiment (--experiment ID)');
  for (const d of input) {
    if (!d.earlyBird || d.earlyBird.length === 0) throw new FigureOptionError(`experiment ${d.id} tracked no early-bird series: run it with --early-bird`);
  }
  const over = new Set(input.flatMap((d) => d.earlyBird!.map((e) => e.series.distanceOver)));
  if (over.size > 1) {
    const old = input.filter((d) => d.earlyBird!.some((e) => e.series.distanceOver === 'all')).map((d) => d.id);
    throw new FigureOptionError(
      `early-bird series of experiment(s) ${old.join(', ')} were stored before the distance fix (over all weights, about density × the distance over survivors) and cannot be drawn with the others: export them separately`,
    );
  }
  const legacy = over.has('all');
  const rules = new Set(input.flatMap((d) => d.earlyBird!.map((e) => e.series.rule)));
  const fig = figureStyle(options, lineAspect(options.widthInches));
  const names = experimentNames(input);
  const rounds = options.rounds;
  const series: string[] = [];
  const datasets: object[] = [];
  let colour = 0;
  input.forEach((d, ei) => {
    for (const { trial, round, series: s } of d.earlyBird!) {
      if (rounds && !rounds.includes(round)) continue;
      const label = `${input.length > 1 ? `${names[ei]} · ` : ''}Round ${round}${d.spec.trials > 1 ? ` · trial ${trial}` : ''}`;
      const c = categoricalColor(colour++);
      const y = testedDistances(s);
      datasets.push({ label, data: s.iterations.map((x, i) => ({ x, y: y[i]! })), borderColor: c, backgroundColor: c, borderWidth: fig.stroke(1.1), pointRadius: 0, tension: 0 });
      if (s.detectedAt !== null) {
        const at = s.iterations.indexOf(s.detectedAt);
        datasets.push({ label: '_early bird', data: [{ x: s.detectedAt, y: y[at]! }], borderColor: c, backgroundColor: c, pointRadius: fig.medium === 'print' ? 3 : 5, pointStyle: 'star', showLine: false });
      }
      series.push(label);
    }
  });
  const all = input.flatMap((d) => d.earlyBird!.flatMap((e) => e.series.iterations));
  const epsilon = input[0]!.earlyBird![0]!.series.epsilon;
  datasets.push({ label: `ε = ${epsilon}`, data: [{ x: Math.min(...all), y: epsilon }, { x: Math.max(...all), y: epsilon }], borderColor: fig.ink, borderWidth: fig.stroke(0.6), borderDash: [4, 3], pointRadius: 0 });
  series.push(`ε = ${epsilon}`);
  // Short: the screen panel is 220 px high. Old series all ran the consecutive rule.
  const yTitle = legacy ? 'Distance over all weights' : rules.size > 1 ? 'Distance tested against ε' : rules.has('reference') ? 'Max distance to kept masks' : 'Distance to previous mask';
  const config = chart(fig, 'line', undefined, datasets, axis(fig, 'Training iteration', { type: 'linear' }), axis(fig, yTitle, { type: 'linear', min: 0 }));
  const rows = input.flatMap((d, i) =>
    d.earlyBird!.flatMap((e) => {
      const y = testedDistances(e.series);
      return e.series.iterations.map((x, j) => [d.id, names[i]!, e.trial, e.round, e.series.rule, e.series.distanceOver, x, e.series.distances[j]!, y[j]!, e.series.detectedAt ?? '']);
    }),
  );
  return {
    kind: 'early-bird',
    title: `Early-bird emergence (stars: where the mask settled)${legacy ? '; series stored before the distance fix: distances over all weights, about density × the distance over survivors' : ''}`,
    widthInches: fig.size.widthInches,
    heightInches: fig.size.heightInches,
    config,
    csv: { columns: ['experimentId', 'experiment', 'trial', 'round', 'rule', 'distanceOver', 'iteration', 'distance', 'tested', 'detectedAt'], rows },
    series,
  };
}
