import * as tf from '@tensorflow/tfjs-core';
import { TRAIN_LOSS_WINDOW } from '../../shared/results';

/** Means so far, and the steps of the window not yet complete. */
export interface LossTraceState {
  means: number[];
  tail: number[];
}

/**
 * Only so many step losses wait on the device: beyond it (an evaluation interval longer than this) they are read
 * early, so memory stays bounded. Below it the trainer reads them at evaluations and checkpoints only.
 */
const MAX_PENDING = 2048;

/**
 * The training loss of every step of a run, kept on the backend as the step computed it and read together at an
 * evaluation (no readback per step), then folded into the mean of every TRAIN_LOSS_WINDOW steps. Each mean is a
 * float64 sum of the float32 step losses over W, rounded to float32: the same steps give the same bits, so a
 * resumed run records exactly what an uninterrupted one does. Rows of a packed run are the columns of [R] tensors.
 */
export class LossTrace {
  private readonly traces: (LossTraceState | null)[];
  private pending: tf.Tensor[] = [];

  /** One state per run (a packed trainer's slots); null for a run resumed from a checkpoint without a record. */
  constructor(states: (LossTraceState | null)[]) {
    this.traces = states.map((s) => (s ? { means: [...s.means], tail: [...s.tail] } : null));
  }

  /** A step's loss: a scalar (one run) or one value per slot. Kept; the caller may dispose its own handle. */
  push(loss: tf.Tensor): void {
    this.pending.push(tf.keep(loss.clone()));
  }

  get mustFlush(): boolean {
    return this.pending.length >= MAX_PENDING;
  }

  /** Reads what waits on the device (one readback) and folds it into the windows. */
  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const stacked = tf.stack(this.pending);
    const R = this.traces.length;
    let values: Float32Array;
    try {
      values = (await stacked.data()) as Float32Array;
    } finally {
      stacked.dispose();
      for (const t of this.pending) t.dispose();
      this.pending = [];
    }
    const steps = values.length / R;
    this.traces.forEach((tr, s) => {
      if (!tr) return;
      for (let i = 0; i < steps; i++) {
        tr.tail.push(values[i * R + s]!);
        if (tr.tail.length === TRAIN_LOSS_WINDOW) {
          tr.means.push(windowMean(tr.tail));
          tr.tail = [];
        }
      }
    });
  }

  /** A copy for a checkpoint (flush first). */
  state(slot = 0): LossTraceState | undefined {
    const tr = this.traces[slot];
    return tr ? { means: [...tr.means], tail: [...tr.tail] } : undefined;
  }

  /** The run's record at its end, the last window possibly short (flush first); undefined when not recorded. */
  final(slot = 0): number[] | undefined {
    const tr = this.traces[slot];
    if (!tr) return undefined;
    return tr.tail.length ? [...tr.means, windowMean(tr.tail)] : [...tr.means];
  }

  /** The slots kept, in their new order (a pack that shrank); flush first. */
  keep(slots: number[]): void {
    if (this.pending.length) throw new Error('LossTrace.keep: flush before the slots change');
    const kept = slots.map((s) => this.traces[s]!);
    this.traces.length = 0;
    this.traces.push(...kept);
  }

  /** Runs that joined a pack, at the end; flush first. */
  append(states: (LossTraceState | null)[]): void {
    if (this.pending.length) throw new Error('LossTrace.append: flush before the slots change');
    this.traces.push(...states.map((s) => (s ? { means: [...s.means], tail: [...s.tail] } : null)));
  }

  dispose(): void {
    for (const t of this.pending) t.dispose();
    this.pending = [];
  }
}

function windowMean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return Math.fround(sum / values.length);
}

/** A fresh run records from its first step; a resumed one continues its checkpoint's record, or records none. */
export function traceStart(restore: { lossTrace?: LossTraceState } | undefined): LossTraceState | null {
  if (!restore) return { means: [], tail: [] };
  return restore.lossTrace ?? null;
}
