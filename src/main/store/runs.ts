import type { EvalPoint, RunResult } from '../../shared/results';
import { VariantSchema, type Variant } from '../../shared/spec';
import { isNullAt, packF32, packF64, packNulls, unpackF32, unpackF64 } from './blobs';
import type { Db } from './db';
import { StoreError } from './errors';
import { num, parseJson, sqlNum } from './json';

interface RunRow {
  id: number;
  trial: number;
  variant: Variant;
  round: number;
  weights_remaining: number;
  layer_density: string;
  early_stop_iteration: number;
  val_loss: number | null;
  val_accuracy: number | null;
  test_accuracy: number | null;
  final_val_accuracy: number | null;
  final_test_accuracy: number | null;
  iterations: number;
  duration_ms: number;
}

interface CurveRow {
  run_id: number;
  points: number;
  iteration: Buffer;
  train_loss: Buffer;
  train_loss_nulls: Buffer | null;
  val_loss: Buffer;
  val_accuracy: Buffer;
  test_accuracy: Buffer;
  train_loss_steps: Buffer | null;
}

const VARIANTS: readonly Variant[] = VariantSchema.options;
/** The schema's order of variants as SQL CASE branches (the names are the schema's own, no user text). */
const VARIANT_ORDER_SQL = VARIANTS.map((v, i) => `WHEN '${v}' THEN ${i}`).join(' ');

/** Bytes of one run's row data and curve blobs, as SQL over `runs r` joined to `run_curves c`. */
export const RUN_BYTES_SQL = `octet_length(r.layer_density) + coalesce(length(c.iteration) + length(c.train_loss)
  + coalesce(length(c.train_loss_nulls), 0) + coalesce(length(c.train_loss_steps), 0) + length(c.val_loss) + length(c.val_accuracy) + length(c.test_accuracy), 0)`;

export class RunRepo {
  constructor(private readonly db: Db) {}

  /** Replaces the run with the same (trial, variant, round): a resumed attempt may redo an unfinished one. Call inside a transaction. */
  save(experimentId: string, r: RunResult): void {
    checkRun(r);
    this.db
      .prepare('DELETE FROM runs WHERE experiment_id = ? AND trial = ? AND variant = ? AND round = ?')
      .run(experimentId, r.trial, r.variant, r.round);
    const info = this.db
      .prepare(
        `INSERT INTO runs (experiment_id, trial, variant, round, weights_remaining, layer_density, early_stop_iteration,
           val_loss, val_accuracy, test_accuracy, final_val_accuracy, final_test_accuracy, iterations, duration_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        experimentId,
        r.trial,
        r.variant,
        r.round,
        r.weightsRemaining,
        JSON.stringify(r.layerDensity),
        r.earlyStopIteration,
        sqlNum(r.valLoss),
        sqlNum(r.valAccuracy),
        sqlNum(r.testAccuracy),
        sqlNum(r.finalValAccuracy),
        sqlNum(r.finalTestAccuracy),
        r.iterations,
        r.durationMs,
      );
    const c = r.curve;
    this.db
      .prepare(
        `INSERT INTO run_curves (run_id, points, iteration, train_loss, train_loss_nulls, val_loss, val_accuracy, test_accuracy, train_loss_steps)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        info.lastInsertRowid,
        c.length,
        packF64(c.map((p) => p.iteration)),
        packF64(c.map((p) => p.trainLoss ?? 0)),
        packNulls(c.map((p) => p.trainLoss)),
        packF64(c.map((p) => p.valLoss)),
        packF64(c.map((p) => p.valAccuracy)),
        packF64(c.map((p) => p.testAccuracy)),
        r.trainLossSteps ? packF32(r.trainLossSteps) : null,
      );
  }

  /** In (variant, round, trial) order; without curves for list views and the winning-ticket rule. */
  list(experimentId: string, withCurves = true): RunResult[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM runs WHERE experiment_id = ?
         ORDER BY CASE variant ${VARIANT_ORDER_SQL} ELSE ${VARIANTS.length} END, round, trial`,
      )
      .all(experimentId) as RunRow[];
    const curves = new Map<number, CurveRow>();
    if (withCurves) {
      const cs = this.db
        .prepare('SELECT c.* FROM run_curves c JOIN runs r ON r.id = c.run_id WHERE r.experiment_id = ?')
        .all(experimentId) as CurveRow[];
      for (const c of cs) curves.set(c.run_id, c);
    }
    return rows.map((row) => toResult(row, curves.get(row.id)));
  }

  find(experimentId: string, trial: number, variant: Variant, round: number): RunResult | null {
    const row = this.db
      .prepare('SELECT * FROM runs WHERE experiment_id = ? AND trial = ? AND variant = ? AND round = ?')
      .get(experimentId, trial, variant, round) as RunRow | undefined;
    if (!row) return null;
    const c = this.db.prepare('SELECT * FROM run_curves WHERE run_id = ?').get(row.id) as CurveRow | undefined;
    return toResult(row, c);
  }

  /** Stored runs per trial (a Slurm experiment's trials come home one task file at a time). */
  countByTrial(experimentId: string): Map<number, number> {
    const rows = this.db.prepare('SELECT trial, COUNT(*) AS n FROM runs WHERE experiment_id = ? GROUP BY trial').all(experimentId) as { trial: number; n: number }[];
    return new Map(rows.map((r) => [r.trial, r.n]));
  }
}

function checkRun(r: RunResult): void {
  const bad = (what: string) => new StoreError(`run trial ${r.trial} ${r.variant} round ${r.round}: ${what}`);
  if (!Number.isSafeInteger(r.trial) || r.trial < 0) throw bad('trial must be a non-negative integer');
  if (!Number.isSafeInteger(r.round) || r.round < 0) throw bad('round must be a non-negative integer');
  if (!VARIANTS.includes(r.variant)) throw bad(`unknown variant ${String(r.variant)}`);
  if (!Array.isArray(r.curve)) throw bad('curve must be an array');
}

function unpackCurve(c: CurveRow): EvalPoint[] {
  const n = c.points;
  const it = unpackF64(c.iteration, n);
  const tl = unpackF64(c.train_loss, n);
  const vl = unpackF64(c.val_loss, n);
  const va = unpackF64(c.val_accuracy, n);
  const ta = unpackF64(c.test_accuracy, n);
  const out: EvalPoint[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      iteration: it[i]!,
      trainLoss: isNullAt(c.train_loss_nulls, i) ? null : tl[i]!,
      valLoss: vl[i]!,
      valAccuracy: va[i]!,
      testAccuracy: ta[i]!,
    });
  }
  return out;
}

function toResult(r: RunRow, c: CurveRow | undefined): RunResult {
  const curve = c ? unpackCurve(c) : [];
  return {
    trial: r.trial,
    variant: r.variant,
    round: r.round,
    weightsRemaining: r.weights_remaining,
    layerDensity: parseJson<number[]>(r.layer_density, `run ${r.id} layer density`),
    earlyStopIteration: r.early_stop_iteration,
    valLoss: num(r.val_loss),
    valAccuracy: num(r.val_accuracy),
    testAccuracy: num(r.test_accuracy),
    finalValAccuracy: num(r.final_val_accuracy),
    finalTestAccuracy: num(r.final_test_accuracy),
    iterations: r.iterations,
    durationMs: r.duration_ms,
    curve,
    ...(c?.train_loss_steps ? { trainLossSteps: unpackF32(c.train_loss_steps) } : {}),
  };
}
