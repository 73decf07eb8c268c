import type { ChartConfiguration } from 'chart.js';
import type { WeightHistogram } from '../../../shared/api/contract';
import { OKABE_ITO } from './palette';

type Layer = WeightHistogram['layers'][number];

/**
 * One layer's surviving weight magnitudes as bars; bars below the next round's cut (the layer's
 * rate-quantile) in vermillion: that is what pruning removes next.
 */
/** `prunesFurther`: false for a mask nothing prunes again (pruning at init prunes once): no cut is drawn. */
export function weightHistogramChart(layer: Layer, prunesFurther = true): ChartConfiguration<'bar'> {
  const width = layer.max / Math.max(1, layer.counts.length);
  const centers = layer.counts.map((_, i) => (i + 0.5) * width);
  const cut = prunesFurther ? layer.threshold : null;
  const pruned = layer.counts.map((c, i) => (cut !== null && centers[i]! < cut ? c : 0));
  const kept = layer.counts.map((c, i) => (cut !== null && centers[i]! < cut ? 0 : c));
  const fmt = (v: number) => (v >= 0.01 ? v.toFixed(3) : v.toExponential(1));
  return {
    type: 'bar',
    data: {
      labels: centers.map(fmt),
      datasets: [
        ...(prunesFurther ? [{ label: cut === null ? 'kept (layer not pruned)' : `cut next round (|w| < ${fmt(cut)}, ${(layer.rate * 100).toFixed(0)}%)`, data: pruned, backgroundColor: OKABE_ITO.vermillion, stack: 'w', barPercentage: 1, categoryPercentage: 1 }] : []),
        { label: 'kept', data: kept, backgroundColor: OKABE_ITO.blue, stack: 'w', barPercentage: 1, categoryPercentage: 1 },
      ],
    },
    options: {
      scales: {
        x: { stacked: true, title: { display: true, text: '|weight|' }, ticks: { maxTicksLimit: 6, maxRotation: 0 } },
        y: { stacked: true, title: { display: true, text: 'weights' }, beginAtZero: true },
      },
      plugins: {
        legend: { position: 'bottom', labels: { boxWidth: 10, boxHeight: 10 } },
        tooltip: { callbacks: { title: (items) => `|w| ≈ ${items[0]?.label ?? ''}` } },
      },
    },
  };
}
