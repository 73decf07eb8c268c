import { stat, type Stat } from '../aggregate';
import type { ExperimentDetail, LayerInfo, RunResult } from '../results';
import type { Variant } from '../spec';
import { FigureOptionError } from './errors';
import { experimentNames, groupBy } from './series';
import { VARIANT_ORDER } from './style';
import { alsoNamed, variantName } from '../variants';

/** One row of the paper table: one variant at one round of one experiment, over its trials. */
export interface ResultsRow {
  experimentId: string;
  experiment: string;
  round: number;
  variant: Variant;
  /** The variant's name in this experiment (θ of its supermasks; 'random' also names 'shuffle' when one run answers for both). */
  variantLabel: string;
  trials: number;
  weightsRemaining: Stat;
  /** Prunable parameters / nonzero prunable parameters (Blalock et al. 2020). */
  compression: Stat;
  /** Dense multiply-accumulates / those left by the mask: the theoretical speed-up. */
  speedup: Stat;
  earlyStopIteration: Stat;
  testAccuracy: Stat;
  winning: boolean;
}

export const VARIANT_TABLE_LABEL: Record<Variant, string> = {
  ticket: 'Ticket',
  reinit: 'Random reinit',
  random: 'Random pruning',
  shuffle: 'Layer-wise shuffle',
  sign: 'Sign flip',
  invert: 'Score inversion',
  supermask: 'Untrained supermask',
  'supermask-signed': 'Untrained signed supermask',
};

/**
 * What a reader of the table needs to know about the rows it holds: where each ablation comes from, that one run
 * answers for 'random' and 'shuffle' when both were asked for, and which θ the untrained supermasks are scored on.
 */
export function variantNotes(details: readonly ExperimentDetail[], rows: readonly ResultsRow[]): string[] {
  const has = (v: Variant) => rows.some((r) => r.variant === v);
  const notes: string[] = [];
  const frankle = (['shuffle', 'reinit', 'invert'] as const).filter((v) => has(v) && (v !== 'reinit' || details.some((d) => d.spec.ablations?.includes('reinit'))));
  if (frankle.length) notes.push(`${frankle.map((v) => VARIANT_TABLE_LABEL[v]).join(', ')}: ablations of Frankle et al. 2021.`);
  if (has('sign')) notes.push(`${VARIANT_TABLE_LABEL.sign}: Zhou et al. 2019.`);
  if (rows.some((r) => r.variant === 'random' && alsoNamed(details.find((d) => d.id === r.experimentId)?.spec, 'random').length)) {
    notes.push(`${VARIANT_TABLE_LABEL.random} and ${VARIANT_TABLE_LABEL.shuffle} draw from one distribution (a random mask of each layer's density): one run answers for both.`);
  }
  if (has('supermask') || has('supermask-signed')) notes.push('Untrained supermasks (Zhou et al. 2019) are scored on the weights their row names: θ0, or θk the rewind point.');
  return notes;
}

/** Rows by experiment, then round, then variant: the variants at one sparsity sit together. */
export function resultsRows(details: readonly ExperimentDetail[], opts: { rounds?: number[]; variants?: Variant[] } = {}): ResultsRow[] {
  if (details.length === 0) throw new FigureOptionError('the results table needs at least one experiment (--experiment ID)');
  const names = experimentNames(details);
  const rows: ResultsRow[] = [];
  details.forEach((d, i) => {
    const runs = d.runs.filter((r) => (!opts.rounds || opts.rounds.includes(r.round)) && (!opts.variants || opts.variants.includes(r.variant)));
    const groups = groupBy(runs, (r) => `${r.round}\u0000${r.variant}`);
    const sorted = [...groups.values()].sort(
      (a, b) => a[0]!.round - b[0]!.round || VARIANT_ORDER.indexOf(a[0]!.variant) - VARIANT_ORDER.indexOf(b[0]!.variant),
    );
    for (const g of sorted) {
      const first = g[0]!;
      rows.push({
        experimentId: d.id,
        experiment: names[i]!,
        round: first.round,
        variant: first.variant,
        variantLabel: variantName(d.spec, first.variant, VARIANT_TABLE_LABEL),
        trials: g.length,
        weightsRemaining: stat(g.map((r) => r.weightsRemaining * 100)),
        compression: stat(g.map((r) => compressionRatio(r, d.layers))),
        speedup: stat(g.map((r) => theoreticalSpeedup(r, d.layers))),
        earlyStopIteration: stat(g.map((r) => r.earlyStopIteration)),
        testAccuracy: stat(g.map((r) => r.testAccuracy * 100)),
        winning: first.variant === 'ticket' && d.winningTicket?.round === first.round,
      });
    }
  });
  return rows;
}

export function compressionRatio(run: RunResult, layers: readonly LayerInfo[]): number {
  const total = layers.reduce((a, l) => a + l.weights, 0);
  if (total === 0 || run.layerDensity.length !== layers.length) return 1 / run.weightsRemaining;
  const kept = layers.reduce((a, l, i) => a + l.weights * run.layerDensity[i]!, 0);
  return total / kept;
}

/** Counts only the prunable kernels' multiply-accumulates; biases, pooling and activations are ignored. */
export function theoreticalSpeedup(run: RunResult, layers: readonly LayerInfo[]): number {
  const dense = layers.reduce((a, l) => a + l.macsPerExample, 0);
  if (dense === 0 || run.layerDensity.length !== layers.length) return NaN;
  const kept = layers.reduce((a, l, i) => a + l.macsPerExample * run.layerDensity[i]!, 0);
  return dense / kept;
}

export interface RowText {
  experiment: string;
  round: string;
  variant: string;
  weights: string;
  compression: string;
  speedup: string;
  earlyStop: string;
  accuracy: string;
}

/** Cell text shared by the LaTeX and Markdown tables; `pm` is how each format writes ±. */
export function rowText(row: ResultsRow, pm: string, times: string): RowText {
  return {
    experiment: row.experiment,
    round: String(row.round),
    variant: row.variantLabel,
    weights: fixedPercent(row.weightsRemaining.mean),
    compression: `${ratio(row.compression.mean)}${times}`,
    speedup: Number.isFinite(row.speedup.mean) ? `${ratio(row.speedup.mean)}${times}` : '–',
    earlyStop: meanStd(row.earlyStopIteration, 0, pm),
    accuracy: meanStd(row.testAccuracy, 2, pm),
  };
}

/** The columns of every results table; an experiment column only when several experiments are compared. */
export function tableColumns(rows: readonly ResultsRow[]): (keyof RowText)[] {
  const multi = new Set(rows.map((r) => r.experimentId)).size > 1;
  return [...(multi ? (['experiment'] as const) : []), 'round', 'variant', 'weights', 'compression', 'speedup', 'earlyStop', 'accuracy'];
}

export const TABLE_HEADERS = {
  experiment: 'Experiment',
  round: 'Round',
  variant: 'Variant',
  weights: 'Weights remaining (%)',
  compression: 'Compression',
  speedup: 'Speed-up',
  earlyStop: 'Early-stop iteration',
  accuracy: 'Test accuracy (%)',
} as const;

function meanStd(s: Stat, digits: number, pm: string): string {
  if (s.n === 0 || !Number.isFinite(s.mean)) return '–';
  return s.n > 1 ? `${s.mean.toFixed(digits)} ${pm} ${s.std.toFixed(digits)}` : s.mean.toFixed(digits);
}

function fixedPercent(p: number): string {
  return p >= 99.995 ? '100' : p >= 1 ? p.toFixed(1) : p.toPrecision(2);
}

function ratio(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}
