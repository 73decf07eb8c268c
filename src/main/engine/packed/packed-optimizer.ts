import * as tf from '@tensorflow/tfjs-core';
import type { TrainingSpec } from '../../../shared/spec';
import type { OptimizerState } from '../optimizer';
import { readRow, variableFrom, type PackedParams } from './packed-model';
import { BETA1, BETA2, EPSILON } from '../optimizer';

/**
 * Masked Adam / SGD with momentum over the stacked parameters of R runs: one set of ops for all R, with each run's
 * own step count (Adam's bias correction), learning rate, moments. It computes, per element, exactly what the
 * one-run optimizer (optimizer.ts) computes: the same ops in the same order, with the scalars of one run replaced
 * by a per-run column [R, 1, 1] (float32 of the same double). A pruned weight gets gradient 0, its moments stay 0
 * and its update is exactly 0. State rows read and write in the one-run layout, so checkpoints are interchangeable.
 */

export type PackedOptimizerConfig = Pick<TrainingSpec, 'optimizer' | 'momentum' | 'weightDecay'>;

export class PackedOptimizer {
  first: tf.Variable[];
  second: tf.Variable[];
  /** Adam steps taken, per run. */
  steps: number[];
  private readonly adam: boolean;
  private readonly decay: number;
  private readonly k: Record<'b1' | 'omb1' | 'b2' | 'omb2' | 'momentum' | 'decay', tf.Scalar>;

  constructor(
    private readonly config: PackedOptimizerConfig,
    params: PackedParams,
    /** Per run: its restored state, or null to start from zero moments. */
    states: (OptimizerState | null)[],
  ) {
    this.adam = config.optimizer === 'adam';
    this.decay = config.weightDecay ?? 0;
    const vars = [...params.kernels, ...params.biases];
    const make = (pick: (s: OptimizerState) => Float32Array[]) =>
      vars.map((v, i) => {
        const per = v.size / v.shape[0]!;
        const buf = new Float32Array(v.size);
        states.forEach((s, r) => {
          if (!s) return;
          const a = pick(s)[i];
          if (!a || a.length !== per) throw new Error('optimizer state does not match this network and optimizer');
          buf.set(a, r * per);
        });
        return variableFrom(tf.tensor(buf, v.shape), false);
      });
    for (const s of states) {
      if (s && (s.first.length !== vars.length || s.second.length !== (this.adam ? vars.length : 0))) {
        throw new Error('optimizer state does not match this network and optimizer');
      }
    }
    this.first = make((s) => s.first);
    this.second = this.adam ? make((s) => s.second) : [];
    this.steps = states.map((s) => s?.step ?? 0);
    this.k = tf.tidy(() => ({
      b1: tf.keep(tf.scalar(BETA1)),
      omb1: tf.keep(tf.scalar(1 - BETA1)),
      b2: tf.keep(tf.scalar(BETA2)),
      omb2: tf.keep(tf.scalar(1 - BETA2)),
      momentum: tf.keep(tf.scalar(config.momentum)),
      decay: tf.keep(tf.scalar(this.decay)),
    }));
  }

  /** One update of every run, run r at learning rate lrs[r]. Call inside tf.tidy. */
  step(params: PackedParams, kernelGrads: tf.Tensor[], biasGrads: tf.Tensor[], lrs: number[]): void {
    const R = lrs.length;
    const vars = [...params.kernels, ...params.biases];
    const masks: (tf.Tensor | null)[] = [...params.masks, ...params.biases.map(() => null)];
    // A column per run, broadcast over a kernel [R, out, in] or a bias [R, out].
    const column = (values: number[], rank: number) => tf.tensor(values, [R, ...Array.from({ length: rank - 1 }, () => 1)]);
    const grads = [...kernelGrads, ...biasGrads].map((g, i) => {
      const d = this.decay > 0 ? tf.add(g, tf.mul(vars[i]!, this.k.decay)) : g;
      return masks[i] ? tf.mul(d, masks[i]!) : d;
    });
    if (this.adam) {
      const lrT: number[] = [];
      const epsT: number[] = [];
      for (let r = 0; r < R; r++) {
        const t = (this.steps[r] = this.steps[r]! + 1);
        const c2 = Math.sqrt(1 - BETA2 ** t);
        lrT.push((lrs[r]! * c2) / (1 - BETA1 ** t));
        epsT.push(EPSILON * c2);
      }
      const cols = new Map<number, { lr: tf.Tensor; eps: tf.Tensor }>();
      const colsFor = (rank: number) => {
        let c = cols.get(rank);
        if (!c) cols.set(rank, (c = { lr: column(lrT, rank), eps: column(epsT, rank) }));
        return c;
      };
      grads.forEach((g, i) => {
        const { lr, eps } = colsFor(g.rank);
        const m = tf.add(tf.mul(this.first[i]!, this.k.b1), tf.mul(g, this.k.omb1));
        const v = tf.add(tf.mul(this.second[i]!, this.k.b2), tf.mul(tf.square(g), this.k.omb2));
        this.first[i]!.assign(m);
        this.second[i]!.assign(v);
        vars[i]!.assign(tf.sub(vars[i]!, tf.mul(tf.div(m, tf.add(tf.sqrt(v), eps)), lr)));
      });
    } else {
      for (let r = 0; r < R; r++) this.steps[r] = this.steps[r]! + 1;
      const cols = new Map<number, tf.Tensor>();
      grads.forEach((g, i) => {
        let lr = cols.get(g.rank);
        if (!lr) cols.set(g.rank, (lr = column(lrs, g.rank)));
        const m = tf.add(tf.mul(this.first[i]!, this.k.momentum), g);
        this.first[i]!.assign(m);
        vars[i]!.assign(tf.sub(vars[i]!, tf.mul(m, lr)));
      });
    }
  }

  /** Run r's state in the one-run optimizer's layout (MaskedOptimizer.getState). */
  async stateOf(r: number): Promise<OptimizerState> {
    return {
      step: this.steps[r]!,
      first: await Promise.all(this.first.map((v) => readRow(v, r))),
      second: await Promise.all(this.second.map((v) => readRow(v, r))),
    };
  }

  /** Keeps only the runs at `keep` (in that order): the pack shrank. */
  keepRows(keep: number[]): void {
    const idx = tf.tensor1d(keep, 'int32');
    const regather = (vs: tf.Variable[]) =>
      vs.map((v) => {
        const next = variableFrom(tf.gather(v, idx), false);
        v.dispose();
        return next;
      });
    this.first = regather(this.first);
    this.second = regather(this.second);
    this.steps = keep.map((r) => this.steps[r]!);
    idx.dispose();
  }

  /** Appends the rows of another optimizer of the same configuration (runs joining the pack); `other` keeps its own. */
  appendRows(other: PackedOptimizer): void {
    const join = (a: tf.Variable[], b: tf.Variable[]) =>
      a.map((v, i) => {
        const next = variableFrom(tf.concat([v, b[i]!]), false);
        v.dispose();
        return next;
      });
    this.first = join(this.first, other.first);
    this.second = join(this.second, other.second);
    this.steps = [...this.steps, ...other.steps];
  }

  dispose(): void {
    tf.dispose([...this.first, ...this.second, ...Object.values(this.k)]);
  }

  get configuration(): PackedOptimizerConfig {
    return this.config;
  }
}
