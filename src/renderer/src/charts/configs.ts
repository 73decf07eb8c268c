import type { ChartConfiguration, ChartDataset } from 'chart.js';
import { aggregateRuns, type RoundAggregate, type Stat } from '../../../shared/aggregate';
import type { ExperimentDetail, RunResult } from '../../../shared/results';
import type { Variant } from '../../../shared/spec';
import type { LivePoint } from '../stores/experiments';
import { seriesColor, VARIANT_STYLE, withAlpha } from './palette';

/**
 * The window's own Chart.js configurations. The paper figures (accuracy / early stop vs weights
 * remaining) come from src/shared/figures when that module is available; these cover the live views.
 */
type XY = { x: number; y: number };
const BAND = '\u200bband';

const legend = {
  position: 'bottom' as const,
  labels: { boxWidth: 14, boxHeight: 2, filter: (item: { text: string }) => !item.text.startsWith(BAND) },
};

/** Log x axis of weights remaining in percent, 100% on the left, as in the paper. */
export function weightsAxis(minPercent: number) {
  // A little room below the sparsest point; a whole decade would squash a few rounds into a corner.
  const lo = Math.max(0.01, Math.min(minPercent / 1.3, 50));
  return {
    type: 'logarithmic' as const,
    reverse: true,
    min: lo,
    max: 100,
    title: { display: true, text: 'weights remaining (%)' },
    ticks: {
      maxRotation: 0,
      autoSkip: false,
      callback: (v: string | number) => {
        const n = Number(v);
        const mant = n / 10 ** Math.floor(Math.log10(n));
        // 1-2-5 steps per decade, plus 3 and 7 inside a narrow range so the axis is never bare.
        const steps = minPercent > 20 ? [1, 2, 3, 4, 5, 6, 7, 8, 9] : [1, 2, 5];
        return steps.some((m) => Math.abs(mant - m) < 1e-6) ? `${+n.toPrecision(3)}` : '';
      },
    },
  };
}

export interface TradeoffSeries {
  label: string;
  variant: Variant;
  color: string;
  points: { x: number; stat: Stat }[];
}

/** Mean line plus a min/max band per series: the paper's error bars over trials. */
function bandDatasets(s: TradeoffSeries): ChartDataset<'line', XY[]>[] {
  const style = VARIANT_STYLE[s.variant];
  const showBand = s.points.some((p) => p.stat.n > 1);
  const mean: ChartDataset<'line', XY[]> = {
    label: s.label,
    data: s.points.map((p) => ({ x: p.x, y: p.stat.mean })),
    borderColor: s.color,
    backgroundColor: s.color,
    borderDash: style.dash,
    pointStyle: style.point,
    pointRadius: 3,
    borderWidth: 2,
    tension: 0,
  };
  if (!showBand) return [mean];
  const edge = (key: 'min' | 'max', fill: false | '-1'): ChartDataset<'line', XY[]> => ({
    label: `${BAND}${key}`,
    data: s.points.map((p) => ({ x: p.x, y: p.stat[key] })),
    borderWidth: 0,
    pointRadius: 0,
    fill,
    backgroundColor: withAlpha(s.color, 0.18),
  });
  return [edge('min', false), edge('max', '-1'), mean];
}

export function tradeoffSeries(details: ExperimentDetail[], metric: (a: RoundAggregate) => Stat, variants: Variant[] = ['ticket', 'reinit', 'random']): TradeoffSeries[] {
  const out: TradeoffSeries[] = [];
  details.forEach((d, i) => {
    const aggs = aggregateRuns(d.runs);
    for (const v of variants) {
      const rows = aggs.filter((a) => a.variant === v);
      if (v !== 'ticket') {
        // A control shares round 0 (the dense network) with the ticket: draw it from there.
        const dense = aggs.find((a) => a.variant === 'ticket' && a.round === 0);
        if (rows.length && dense) rows.unshift(dense);
      }
      if (!rows.length) continue;
      out.push({
        label: details.length > 1 ? `${d.name} · ${VARIANT_STYLE[v].label}` : VARIANT_STYLE[v].label,
        variant: v,
        color: details.length > 1 ? seriesColor(i * 3 + ['ticket', 'reinit', 'random'].indexOf(v)) : VARIANT_STYLE[v].color,
        points: rows.map((a) => ({ x: a.weightsRemaining.mean * 100, stat: metric(a) })),
      });
    }
  });
  return out;
}

export function tradeoffChart(series: TradeoffSeries[], yTitle: string, yPercent: boolean): ChartConfiguration<'line', XY[]> {
  const minX = Math.min(100, ...series.flatMap((s) => s.points.map((p) => p.x)));
  return {
    type: 'line',
    data: { datasets: series.flatMap(bandDatasets) },
    options: {
      parsing: false,
      interaction: { mode: 'nearest', intersect: false },
      scales: {
        x: weightsAxis(minX),
        y: { title: { display: true, text: yTitle }, ticks: yPercent ? { callback: (v) => `${(Number(v) * 100).toFixed(1)}` } : {} },
      },
      plugins: {
        legend,
        tooltip: {
          filter: (item) => !String(item.dataset.label).startsWith(BAND),
          callbacks: { label: (c) => `${c.dataset.label}: ${yPercent ? `${((c.raw as XY).y * 100).toFixed(2)}%` : (c.raw as XY).y.toFixed(0)} at ${(c.raw as XY).x.toPrecision(3)}%` },
        },
      },
    },
  };
}

/** The run in progress: validation accuracy and loss against iteration, two axes. */
export function liveChart(points: LivePoint[], totalIterations: number): ChartConfiguration<'line', XY[]> {
  return {
    type: 'line',
    data: {
      datasets: [
        { label: 'validation accuracy', data: points.map((p) => ({ x: p.iteration, y: p.valAccuracy })), borderColor: VARIANT_STYLE.ticket.color, backgroundColor: VARIANT_STYLE.ticket.color, yAxisID: 'acc', pointRadius: 2, borderWidth: 2 },
        { label: 'validation loss', data: points.map((p) => ({ x: p.iteration, y: p.valLoss })), borderColor: VARIANT_STYLE.reinit.color, backgroundColor: VARIANT_STYLE.reinit.color, borderDash: [6, 4], yAxisID: 'loss', pointRadius: 2, borderWidth: 2 },
      ],
    },
    options: {
      parsing: false,
      scales: {
        x: { type: 'linear', min: 0, max: totalIterations, title: { display: true, text: 'iteration' } },
        acc: { position: 'left', title: { display: true, text: 'accuracy (%)' }, ticks: { callback: (v) => (Number(v) * 100).toFixed(1) } },
        loss: { position: 'right', title: { display: true, text: 'loss' }, grid: { drawOnChartArea: false } },
      },
      plugins: { legend },
    },
  };
}

/** Test accuracy against iteration for the runs nearest a chosen sparsity. */
export function curvesChart(groups: { label: string; variant: Variant; color: string; runs: RunResult[] }[]): ChartConfiguration<'line', XY[]> {
  const datasets: ChartDataset<'line', XY[]>[] = groups.map((g) => {
    const its = g.runs[0]?.curve.map((p) => p.iteration) ?? [];
    const data = its.map((it, k) => ({ x: it, y: mean(g.runs.map((r) => r.curve[k]?.testAccuracy ?? NaN)) }));
    const st = VARIANT_STYLE[g.variant];
    return { label: g.label, data, borderColor: g.color, backgroundColor: g.color, borderDash: st.dash, pointStyle: st.point, pointRadius: 2, borderWidth: 2 };
  });
  return {
    type: 'line',
    data: { datasets },
    options: {
      parsing: false,
      scales: {
        x: { type: 'linear', title: { display: true, text: 'iteration' } },
        y: { title: { display: true, text: 'test accuracy (%)' }, ticks: { callback: (v) => (Number(v) * 100).toFixed(1) } },
      },
      plugins: { legend },
    },
  };
}

export function barChart(labels: string[], series: { label: string; color: string; values: number[] }[], yTitle: string, max?: number): ChartConfiguration<'bar'> {
  return {
    type: 'bar',
    data: { labels, datasets: series.map((s) => ({ label: s.label, data: s.values, backgroundColor: s.color, borderColor: s.color, borderWidth: 1 })) },
    options: {
      scales: { y: { min: 0, ...(max !== undefined ? { max } : {}), title: { display: true, text: yTitle } } },
      plugins: { legend: { ...legend, labels: { ...legend.labels, boxHeight: 10 } } },
    },
  };
}

function mean(xs: number[]): number {
  const v = xs.filter(Number.isFinite);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
}
