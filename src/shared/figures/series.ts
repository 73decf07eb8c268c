import { stat } from '../aggregate';
import type { ExperimentDetail, RunResult } from '../results';
import type { ExperimentSpec, Variant } from '../spec';
import { variantName } from '../variants';
import { FigureOptionError } from './errors';
import { VARIANT_LABEL, VARIANT_ORDER, VARIANT_STYLE, categoricalColor, ticketLabel, type SeriesStyle } from './style';

/** Mean and range over trials of one variant at one round. x is weights remaining in percent. */
export interface RoundPoint {
  round: number;
  x: number;
  mean: number;
  min: number;
  max: number;
  n: number;
}

export function pointsByRound(runs: readonly RunResult[], metric: (r: RunResult) => number): RoundPoint[] {
  const byRound = groupBy(runs, (r) => r.round);
  return [...byRound.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([round, rs]) => {
      const s = stat(rs.map(metric));
      return { round, x: stat(rs.map((r) => r.weightsRemaining)).mean * 100, mean: s.mean, min: s.min, max: s.max, n: s.n };
    });
}

export function groupBy<T, K>(items: readonly T[], key: (t: T) => K): Map<K, T[]> {
  const m = new Map<K, T[]>();
  for (const it of items) {
    const k = key(it);
    const g = m.get(k);
    if (g) g.push(it);
    else m.set(k, [it]);
  }
  return m;
}

/** Names to print per experiment; ids break ties so two experiments never share a label. */
export function experimentNames(details: readonly ExperimentDetail[]): string[] {
  const names = details.map((d) => d.name.trim() || d.id);
  return names.map((n, i) => (names.filter((m) => m === n).length > 1 ? `${n} (${details[i]!.id})` : n));
}

export function variantsIn(details: readonly ExperimentDetail[], only?: readonly Variant[]): Variant[] {
  const present = new Set(details.flatMap((d) => d.runs.map((r) => r.variant)));
  return VARIANT_ORDER.filter((v) => present.has(v) && (!only || only.includes(v)));
}

/**
 * One experiment: the variant carries colour, marker and dash. Several: colour names the experiment
 * and marker plus dash name the variant, so both stay readable without a colour printer... mostly.
 */
export function seriesStyle(experimentCount: number, experimentIndex: number, variant: Variant): SeriesStyle {
  const v = VARIANT_STYLE[variant];
  return experimentCount > 1 ? { ...v, color: categoricalColor(experimentIndex) } : v;
}

/** `spec` names what the experiment made of the variant (θ of its supermasks, one run for random and shuffle). */
export function seriesLabel(names: readonly string[], experimentIndex: number, variant: Variant, spec?: ExperimentSpec): string {
  const v = variant === 'ticket' ? ticketLabel(spec?.pruning.method) : variantName(spec, variant, VARIANT_LABEL);
  return names.length > 1 ? `${names[experimentIndex]} · ${v}` : v;
}

export function requireExperiments(details: readonly ExperimentDetail[], figure: string): void {
  if (details.length === 0) throw new FigureOptionError(`the ${figure} figure needs at least one experiment (--experiment ID)`);
  for (const d of details) {
    if (d.runs.length === 0) throw new FigureOptionError(`experiment ${d.id} has no finished runs yet: nothing to plot`);
  }
}

/** Keeps runs at the chosen rounds; a round that no experiment has is an error, not an empty plot. */
export function filterRounds(details: readonly ExperimentDetail[], rounds: readonly number[] | undefined): ExperimentDetail[] {
  if (!rounds) return [...details];
  if (rounds.length === 0) throw new FigureOptionError('--rounds is empty: give round numbers such as 0,3,5');
  const have = new Set(details.flatMap((d) => d.runs.map((r) => r.round)));
  const missing = rounds.filter((r) => !have.has(r));
  if (missing.length > 0) {
    const all = [...have].sort((a, b) => a - b);
    throw new FigureOptionError(`no runs at round ${missing.join(', ')}: the experiment has rounds ${formatRoundList(all)}`);
  }
  return details.map((d) => ({ ...d, runs: d.runs.filter((r) => rounds.includes(r.round)) }));
}

export function filterVariants(details: readonly ExperimentDetail[], variants: readonly Variant[] | undefined): ExperimentDetail[] {
  if (!variants) return [...details];
  const out = details.map((d) => ({ ...d, runs: d.runs.filter((r) => variants.includes(r.variant)) }));
  if (out.every((d) => d.runs.length === 0)) {
    throw new FigureOptionError(`no runs of variant ${variants.join(', ')} in the chosen experiments`);
  }
  return out;
}

function formatRoundList(rounds: number[]): string {
  if (rounds.length === 0) return '(none)';
  const first = rounds[0]!;
  const last = rounds[rounds.length - 1]!;
  return rounds.length === last - first + 1 && rounds.length > 2 ? `${first}-${last}` : rounds.join(', ');
}

/** A handful of rounds spread from dense to sparsest, for figures that cannot show every round legibly. */
export function spreadRounds(rounds: readonly number[], count: number): number[] {
  const sorted = [...new Set(rounds)].sort((a, b) => a - b);
  if (sorted.length <= count) return sorted;
  const picked = new Set<number>();
  for (let i = 0; i < count; i++) picked.add(sorted[Math.round((i * (sorted.length - 1)) / (count - 1))]!);
  return [...picked].sort((a, b) => a - b);
}

/** Weights remaining as the paper prints it: 100, 51.2, 26.2, 13.4, 3.6, 0.47. */
export function formatPercent(p: number): string {
  if (!Number.isFinite(p)) return '–';
  if (Math.abs(p - 100) < 0.05) return '100';
  if (p >= 1) return p.toFixed(1);
  return p.toPrecision(2);
}

/**
 * One format for every tick of an axis: whole percents when every tick from 1% up is whole (100, 50, 25, not
 * 100, 50.0, 25.0), one decimal for all of them otherwise (100, 51.2, 26.2); below 1%, two significant digits.
 */
export function percentTickFormat(ticks: readonly number[]): (p: number) => string {
  const decimals = ticks.some((t) => t >= 1 && Math.abs(t - 100) >= 0.05 && Math.abs(t - Math.round(t)) >= 0.05) ? 1 : 0;
  return (p) => {
    if (!Number.isFinite(p)) return '–';
    if (Math.abs(p - 100) < 0.05) return '100';
    return p >= 1 ? p.toFixed(decimals) : p.toPrecision(2);
  };
}

/** The rounds a per-round figure shows (the chosen ones, or `count` spread over all) and the runs at them. */
export function chosenRounds(
  input: readonly ExperimentDetail[],
  options: { rounds?: number[]; variants?: Variant[] },
  count: number,
): { rounds: number[]; details: ExperimentDetail[] } {
  const rounds = options.rounds ?? spreadRounds(input.flatMap((d) => d.runs.map((r) => r.round)), count);
  return { rounds, details: filterVariants(filterRounds(input, rounds), options.variants) };
}
