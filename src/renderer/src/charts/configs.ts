import type { ChartConfiguration } from 'chart.js';
import type { LivePoint } from '../stores/experiments';
import { VARIANT_STYLE } from './palette';

/**
 * The window's own Chart.js configurations, for charts that are not paper figures: the run in
 * progress and the Jaccard overlap bars. The paper figures (accuracy and early stop vs weights
 * remaining, training curves, density per layer) come from src/shared/figures (see ./figures.ts).
 */
type XY = { x: number; y: number };

const legend = {
  position: 'bottom' as const,
  labels: { boxWidth: 14, boxHeight: 2 },
};

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
