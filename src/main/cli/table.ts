import { aggregateRuns, type Stat } from '../../shared/aggregate';
import { batchNormStatsNote } from '../../shared/analyses/stability';
import { earlyBirdConventions, earlyBirdRuleSentence } from '../../shared/analyses/early-bird';
import type { ExperimentDetail, WinningTicket } from '../../shared/results';
import { VariantSchema, type Variant } from '../../shared/spec';
import { variantName } from '../../shared/variants';

/** The CLI names variants by their spec names; variantName adds what the spec makes of them. */
const IDS = Object.fromEntries(VariantSchema.options.map((v) => [v, v])) as Record<Variant, string>;

const pct = (x: number, digits = 2) => `${(x * 100).toFixed(digits)}%`;

/** Mean ± std [min, max] over trials, as the paper's figures report them; the bare value for one trial. */
function meanRange(s: Stat, fmt: (x: number) => string, fmtStd: (x: number) => string = fmt): string {
  return s.n > 1 ? `${fmt(s.mean)} ± ${fmtStd(s.std)} [${fmt(s.min)}, ${fmt(s.max)}]` : fmt(s.mean);
}
const points = (x: number) => (x * 100).toFixed(2);

function render(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
}

/** Where each ticket run's early-bird mask emerged, and in the pruning mode the training it saved. */
export function earlyBirdLines(detail: ExperimentDetail): string {
  const eb = detail.earlyBird ?? [];
  const spec = detail.spec.earlyBird!;
  // Every series of an experiment is computed one way; say which, above all when it is the old distance.
  const how = eb[0]?.series ?? { ...spec, ...earlyBirdConventions(spec) };
  const head = `Early bird: ${earlyBirdRuleSentence(how)}`;
  const lines = eb.map(({ trial, round, series }) => {
    const where = series.detectedAt === null ? 'did not emerge' : `emerged at iteration ${series.detectedAt}${series.stopped ? ' (pruned there)' : ''}`;
    return `Early bird, trial ${trial} round ${round}: ${where}`;
  });
  const tickets = detail.runs.filter((r) => r.variant === 'ticket');
  if (spec.prune && tickets.length > 0) {
    const T = detail.spec.training.iterations;
    const full = tickets.reduce((a, r) => a + (T - (r.round === 0 ? 0 : detail.spec.pruning.rewindIteration)), 0);
    const trained = tickets.reduce((a, r) => a + r.iterations, 0);
    lines.push(`Early-bird IMP trained ${trained} of ${full} ticket iterations (${(((full - trained) / full) * 100).toFixed(1)}% saved); the last round trains to the end`);
  }
  return [head, ...lines].join('\n');
}

/** Per round and variant, mean over trials (with [min, max] when there are several), as the paper reports. */
export function resultsTable(detail: ExperimentDetail): string {
  const trials = detail.spec.trials;
  const rows = [['round', 'variant', ...(trials > 1 ? ['trials'] : []), 'weights', 'early stop', 'val acc', 'test acc', 'final test']];
  for (const a of aggregateRuns(detail.runs).sort((x, y) => x.round - y.round)) {
    rows.push([
      String(a.round),
      variantName(detail.spec, a.variant, IDS),
      ...(trials > 1 ? [`${a.valAccuracy.n}/${trials}`] : []),
      pct(a.weightsRemaining.mean, 1),
      meanRange(a.earlyStopIteration, (x) => String(Math.round(x))),
      meanRange(a.valAccuracy, (x) => pct(x), points),
      meanRange(a.testAccuracy, (x) => pct(x), points),
      meanRange(a.finalTestAccuracy, (x) => pct(x), points),
    ]);
  }
  return render(rows);
}

export function winningTicketLine(ticket: WinningTicket | null, reason: string | null): string {
  if (!ticket) return `Winning ticket: none. ${reason ?? ''}`.trim();
  const s = ticket.spread;
  if (ticket.trials && ticket.trials > 1 && s) {
    return (
      `Winning ticket: round ${ticket.round}, ${pct(ticket.weightsRemaining, 1)} of the weights ` +
      `(${(1 / ticket.weightsRemaining).toFixed(2)}x smaller), mean over ${ticket.trials} trials: ` +
      `val ${meanRange(s.valAccuracy, (x) => pct(x), points)}, test ${meanRange(s.testAccuracy, (x) => pct(x), points)}, ` +
      `early stop at iteration ${meanRange(s.earlyStopIteration, (x) => String(Math.round(x)))}; ` +
      `each trial's ticket is kept in the library`
    );
  }
  return (
    `Winning ticket: round ${ticket.round}, ${pct(ticket.weightsRemaining, 1)} of the weights ` +
    `(${(1 / ticket.weightsRemaining).toFixed(2)}x smaller): val ${pct(ticket.valAccuracy)}, test ${pct(ticket.testAccuracy)}, ` +
    `early stop at iteration ${Math.round(ticket.earlyStopIteration)}`
  );
}

/** An instability analysis's barrier per starting point, its verdict and how batch norm's statistics were taken. */
export function stabilityTable(d: ExperimentDetail): string {
  const s = d.stability!;
  const rows = [['point', 'start', 'weights', 'trials', 'barrier (test error)', 'stable']];
  for (const p of s.summary) {
    const b = p.trials > 1 ? `${pct(p.barrier.mean)} [${pct(p.barrier.min)}, ${pct(p.barrier.max)}]` : pct(p.barrier.mean);
    rows.push([p.label, String(p.startIteration), `${(p.weightsRemaining * 100).toFixed(1)}%`, String(p.trials), b, p.stable ? 'yes' : 'no']);
  }
  const w = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const table = rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(w[c]!) : cell.padStart(w[c]!))).join('  ')).join('\n');
  const k = s.suggestedRewindPoint;
  const verdict =
    k === null
      ? `No starting point is stable (barrier under ${pct(s.threshold)} from it on).`
      : `Stable (barrier under ${pct(s.threshold)}) from iteration ${k} on${k > 0 ? `: rewind to k = ${k} (lth run --rewind ${k})` : ': the network is stable at initialisation'}.`;
  const note = batchNormStatsNote(d.spec);
  const bn = note ? `\n${d.spec.stability?.batchNormStats === 'reestimate' ? note : note.replace(/\.$/, ' (--bn-stats reestimate recomputes them).')}` : '';
  return `${table}\n\n${verdict}${bn}`;
}
