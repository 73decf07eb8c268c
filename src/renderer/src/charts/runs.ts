import type { ChartConfiguration, TooltipItem } from 'chart.js';
import { TRAIN_LOSS_WINDOW, type ExperimentDetail, type PartialRun, type RunResult } from '../../../shared/results';
import type { Variant } from '../../../shared/spec';
import type { LiveRun } from '../stores/experiments';
import { seriesColor, VARIANT_LABELS, VARIANT_STYLE } from './palette';
import { variantName } from '../../../shared/variants';

/** One run the run chart can draw: a stored run, or one that has not finished (live, paused, cancelled). */
export interface ChartRun {
  key: string;
  trial: number;
  variant: Variant;
  round: number;
  partial: boolean;
  totalIterations: number;
  durationMs: number | null;
  points: { iteration: number; valAccuracy: number; testAccuracy: number | null; valLoss: number; trainLoss: number | null }[];
  /** The training loss per TRAIN_LOSS_WINDOW steps, at the last iteration of each window; absent for older runs. */
  trainLossSteps?: { iteration: number; loss: number }[];
  /** The run in its experiment kind's words ("copy A · k = 500"), where IMP's "round · variant" would mislead. */
  label?: string;
}

export type RunMetric = 'acc-loss' | 'valAccuracy' | 'testAccuracy' | 'valLoss' | 'trainLoss';
export const RUN_METRICS: { id: RunMetric; label: string }[] = [
  { id: 'acc-loss', label: 'val acc + loss' },
  { id: 'valAccuracy', label: 'val accuracy' },
  { id: 'testAccuracy', label: 'test accuracy' },
  { id: 'valLoss', label: 'val loss' },
  { id: 'trainLoss', label: `train loss (mean per ${TRAIN_LOSS_WINDOW} steps)` },
];

/** What the training-loss series of a run is: runs stored before the per-step record have only the mean since the previous evaluation. */
export function trainLossLabel(shown: ChartRun[]): string {
  const runs = shown.filter((r) => !r.partial);
  if (!runs.length) return `training loss, mean of every ${TRAIN_LOSS_WINDOW} steps: stored when the run finishes`;
  const all = runs.length > 0 && runs.every((r) => r.trainLossSteps);
  const none = runs.every((r) => !r.trainLossSteps);
  if (all) return `training loss, mean of every ${TRAIN_LOSS_WINDOW} steps`;
  if (none) return 'training loss, mean since the previous evaluation (recorded before per-step losses were kept)';
  return `training loss, mean of every ${TRAIN_LOSS_WINDOW} steps (older runs: mean since the previous evaluation)`;
}

function lossSteps(r: RunResult): { iteration: number; loss: number }[] | undefined {
  if (!r.trainLossSteps) return undefined;
  const start = r.curve[0]?.iteration ?? 0;
  const end = start + r.iterations;
  return r.trainLossSteps.map((loss, i) => ({ iteration: Math.min(start + (i + 1) * TRAIN_LOSS_WINDOW, end), loss }));
}

export const runKey = (r: { trial: number; variant: string; round: number }) => `${r.trial}:${r.variant}:${r.round}`;

/** With the experiment's spec, the label names what the spec makes of the variant (variantName). */
export function runLabel(r: { trial: number; variant: Variant; round: number }, trials = 1, spec?: ExperimentDetail['spec']): string {
  return `round ${r.round} · ${variantName(spec, r.variant, VARIANT_LABELS)}${trials > 1 ? ` · trial ${r.trial}` : ''}`;
}

function fromStored(r: RunResult, spec: ExperimentDetail['spec']): ChartRun {
  return {
    key: runKey(r),
    trial: r.trial,
    variant: r.variant,
    round: r.round,
    partial: false,
    // A rewound run starts at the rewind iteration and ends at the spec's total: its last point is the total.
    totalIterations: Math.max(spec.training.iterations, r.curve.at(-1)?.iteration ?? 0),
    durationMs: r.durationMs,
    points: r.curve.map((p) => ({ iteration: p.iteration, valAccuracy: p.valAccuracy, testAccuracy: p.testAccuracy, valLoss: p.valLoss, trainLoss: p.trainLoss })),
    ...(r.trainLossSteps ? { trainLossSteps: lossSteps(r) } : {}),
  };
}

function fromPartial(p: PartialRun): ChartRun {
  return {
    key: runKey(p),
    trial: p.trial,
    variant: p.variant,
    round: p.round,
    partial: true,
    totalIterations: p.totalIterations,
    durationMs: null,
    points: p.curve.map((c) => ({ ...c, trainLoss: null })),
  };
}

/** Every run of an experiment the chart can show: stored ones, then unfinished ones (live points win). */
export function chartRuns(detail: ExperimentDetail | null, live: LiveRun | null): ChartRun[] {
  const out: ChartRun[] = detail ? detail.runs.map((r) => fromStored(r, detail.spec)) : [];
  const stored = new Set(out.map((r) => r.key));
  const partial = (detail?.partialRuns ?? []).filter((p) => !stored.has(runKey(p))).map(fromPartial);
  if (live && !stored.has(live.key)) {
    const p = live.progress;
    const at = partial.findIndex((r) => r.key === live.key);
    const prior = at >= 0 ? partial[at]!.points.filter((x) => !live.points.some((l) => l.iteration === x.iteration)) : [];
    const run: ChartRun = {
      key: live.key,
      trial: p.trial,
      variant: p.variant,
      round: p.round,
      partial: true,
      totalIterations: p.totalIterations,
      durationMs: null,
      points: [...prior, ...live.points.map((l) => ({ ...l, trainLoss: null }))].sort((a, b) => a.iteration - b.iteration),
    };
    if (at >= 0) partial[at] = run;
    else partial.push(run);
  }
  return [...out, ...partial];
}

/** Exponential moving average, as TensorBoard's smoothing slider (0 = raw). */
export function smooth(values: (number | null)[], weight: number): (number | null)[] {
  if (weight <= 0) return values;
  let last: number | null = null;
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return v;
    last = last === null ? v : last * weight + (1 - weight) * v;
    return last;
  });
}

export interface RunChartOptions {
  metric: RunMetric;
  smoothing: number;
  logY: boolean;
  /** Iteration range shown (zoom); null = the whole run. */
  range: [number, number] | null;
  trials: number;
  spec?: ExperimentDetail['spec'];
}

/** Percent ticks with as many decimals as the tick step needs (no "27%, 27%" on a narrow range). */
const pctTick = (v: number | string, _i: number, ticks: { value: number }[]) => {
  const step = ticks.length > 1 ? Math.abs(ticks[1]!.value - ticks[0]!.value) * 100 : 1;
  const digits = step >= 1 ? 0 : step >= 0.1 ? 1 : 2;
  return `${(Number(v) * 100).toFixed(digits)}%`;
};
const fmt = (metric: string, v: number) => (metric.includes('ccuracy') ? `${(v * 100).toFixed(2)}%` : v.toPrecision(4));

/** The run chart: one or more runs against iteration; accuracy as %, loss optionally on a log axis. */
export function runChart(runs: ChartRun[], o: RunChartOptions): ChartConfiguration<'line'> {
  const many = runs.length > 1;
  const byVariant = new Set(runs.map((r) => r.variant)).size === runs.length;
  const metrics: ('valAccuracy' | 'testAccuracy' | 'valLoss' | 'trainLoss')[] = o.metric === 'acc-loss' ? ['valAccuracy', 'valLoss'] : [o.metric];
  const datasets = runs.flatMap((r, i) =>
    metrics.map((m) => {
      const isLoss = m === 'valLoss' || m === 'trainLoss';
      // Several variants of one round and trial: each in its variant's colour (as in the paper figures); else by run.
      const color = many ? (byVariant ? VARIANT_STYLE[r.variant].color : seriesColor(i)) : m === 'valAccuracy' || m === 'testAccuracy' ? VARIANT_STYLE.ticket.color : VARIANT_STYLE.reinit.color;
      const raw =
        m === 'trainLoss' && r.trainLossSteps
          ? r.trainLossSteps.map((p) => ({ x: p.iteration, y: p.loss }))
          : r.points.filter((p) => p[m] !== null).map((p) => ({ x: p.iteration, y: p[m] as number }));
      const ys = smooth(raw.map((p) => p.y), o.smoothing);
      const name = o.metric === 'acc-loss' ? (m === 'valAccuracy' ? 'val accuracy' : 'val loss') : m === 'trainLoss' ? trainLossLabel([r]) : RUN_METRICS.find((x) => x.id === m)!.label;
      return {
        label: many ? `${r.label ?? runLabel(r, o.trials, o.spec)}${r.partial ? ' (unfinished)' : ''}${o.metric === 'acc-loss' && isLoss ? ' — val loss' : ''}` : name,
        data: raw.map((p, k) => ({ x: p.x, y: ys[k] as number })).filter((p) => !o.logY || !isLoss || p.y > 0),
        borderColor: color,
        backgroundColor: color,
        borderDash: o.metric === 'acc-loss' ? (isLoss ? [6, 4] : []) : many ? VARIANT_STYLE[r.variant].dash : [],
        yAxisID: isLoss ? 'loss' : 'acc',
        pointRadius: raw.length > 60 ? 0 : 2,
        borderWidth: 2,
      };
    }),
  );
  // A finished run spans its iterations; an unfinished one the part it trained (not 2% of a long axis).
  const xmax = Math.max(1, ...runs.map((r) => (r.partial ? Math.max(r.points.at(-1)?.iteration ?? 1, Math.min(r.totalIterations, 100)) : Math.max(r.totalIterations, r.points.at(-1)?.iteration ?? 0))));
  const usesAcc = metrics.some((m) => m.includes('ccuracy'));
  const usesLoss = metrics.some((m) => m.includes('Loss'));
  const accValues = datasets.filter((d) => d.yAxisID === 'acc').flatMap((d) => d.data.map((p) => p.y));
  return {
    type: 'line',
    data: { datasets },
    options: {
      parsing: false,
      interaction: { mode: 'nearest', intersect: false },
      scales: {
        x: { type: 'linear', min: o.range?.[0] ?? 0, max: o.range?.[1] ?? xmax, title: { display: true, text: 'iteration' } },
        acc: {
          display: usesAcc,
          position: 'left',
          // Accuracy never exceeds 100%: the axis stops there however the points sit.
          // Up to the next 5% above the data (a round tick label), never past 100%.
          ...(accValues.length ? { max: Math.min(1, Math.ceil((Math.max(...accValues) + 0.005) * 20) / 20) } : {}),
          title: { display: true, text: 'accuracy' },
          ticks: { callback: pctTick },
        },
        loss: {
          display: usesLoss,
          type: o.logY ? 'logarithmic' : 'linear',
          position: usesAcc ? 'right' : 'left',
          title: { display: true, text: o.logY ? 'loss (log)' : 'loss' },
          grid: { drawOnChartArea: !usesAcc },
        },
      },
      plugins: {
        // Several runs with accuracy and loss: one legend entry per run (solid accuracy, dashed loss, said in the title).
        legend: {
          position: 'bottom',
          labels: {
            boxWidth: 14,
            boxHeight: 2,
            filter: (item: { text: string }) => !(many && o.metric === 'acc-loss' && item.text.endsWith('— val loss')),
          },
        },
        ...(many && o.metric === 'acc-loss' ? { subtitle: { display: true, text: 'solid: validation accuracy · dashed: validation loss', font: { size: 10 }, padding: { bottom: 4 } } } : {}),
        tooltip: {
          callbacks: {
            title: (items: TooltipItem<'line'>[]) => `iteration ${Number(items[0]?.parsed.x ?? 0).toLocaleString('en-US')}`,
            label: (item: TooltipItem<'line'>) => `${item.dataset.label}: ${fmt(item.dataset.yAxisID === 'acc' ? 'accuracy' : 'loss', Number(item.parsed.y))}`,
          },
        },
      },
    },
  };
}
