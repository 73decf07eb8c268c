import { LossTrace, traceStart, type LossTraceState } from '../loss-trace';
import * as tf from '@tensorflow/tfjs-core';
import type { EvalPoint } from '../../../shared/results';
import { finalLearningRate, learningRateAt } from '../../../shared/schedule';
import { augmentBatch } from '../data/augment';
import { exampleOrder, fillBatch, type BatchOrder } from '../data/batches';
import type { LoadedDataset } from '../data/types';
import { planNetwork, type NetworkPlan } from '../network';
import { deriveSeed } from '../random';
import { trialData } from '../trial-data';
import { AbortedError, EVAL_CHUNK, YIELD_MS, runResultOf, type TrainHooks } from '../trainer';
import type { Checkpoint, TrainJob, TrainOutcome, WeightSet } from '../types';
import { applyMask } from '../weights';
import { createPackedParams, defaultMatMulMode, disposePackedParams, packedForward, readRunWeights, variableFrom, type MatMulMode, type PackedParams } from './packed-model';
import { PackedOptimizer } from './packed-optimizer';

/** One run of a pack: its job and hooks, and where its outcome goes. */
export interface PackMember {
  job: TrainJob;
  hooks: TrainHooks;
  resolve: (outcome: TrainOutcome) => void;
  reject: (err: Error) => void;
}

/** As the one-run trainer (trainer.ts): yield to the event loop this often; evaluate this many examples per pass. */

/** What a run needs besides the pack's tensors: its data order, split, normalisation, curve, counters. */
interface RunState {
  member: PackMember;
  job: TrainJob;
  plan: NetworkPlan;
  trialSeed: number;
  noiseSeed: number;
  valIdx: Uint32Array;
  lut: Float32Array;
  /** Runs with equal keys see the same validation examples, normalised the same way. */
  valKey: string;
  /** Runs with equal keys draw the same batch at the same iteration. */
  orderKey: string;
  order: BatchOrder;
  finalLr: number;
  /** Iterations completed. */
  it: number;
  curve: EvalPoint[];
  lossSteps: number;
  captured: WeightSet | null;
  began: number;
  lastCheckpoint: number;
}

const orderSeedOf = (job: TrainJob): number | undefined => (job as { orderSeed?: number }).orderSeed;

/**
 * Trains the members together as one packed model until each has finished, failed or been stopped; each member's
 * promise settles as soon as its own run does (a run that finishes early leaves the pack, which shrinks). Every
 * run keeps the one-run trainer's semantics: its own init, mask, trial data order, validation split and
 * normalisation, learning-rate schedule, optimizer state, dropout seeds, evaluation curve, early-stop point,
 * θk capture, progress reports and checkpoints (the same Checkpoint format, so a run can resume alone or packed).
 * All members must share the network and the batch size, optimizer kind, momentum and weight decay (packKey).
 */
export interface PackOptions {
  mode?: MatMulMode;
  /** Called before every step with the pack's size: compatible runs that became ready since, to join the pack. */
  pull?: (size: number) => PackMember[];
}

export async function trainPacked(members: PackMember[], data: LoadedDataset, opts: PackOptions = {}): Promise<void> {
  const mode = opts.mode ?? defaultMatMulMode();
  if (members.length === 0) return;
  const t0 = members[0]!.job.spec.training;
  const plan0 = planNetwork(members[0]!.job.spec.network, data.shape, data.numClasses);
  const exampleSize = data.shape[0] * data.shape[1] * data.shape[2];
  const numClasses = data.numClasses;
  const batchSize = t0.batchSize;
  const testIdx = Uint32Array.from({ length: data.testLabels.length }, (_, i) => i);

  // Set up each run; one whose checkpoint does not fit fails alone.
  type Start = { weights: WeightSet; optimizer: Checkpoint['optimizer'] | null; lossSum: number; restored: boolean; trace: LossTraceState | null };
  const prepare = (list: PackMember[]): { runs: RunState[]; starts: Start[] } => {
    const out: RunState[] = [];
    const starts: Start[] = [];
    for (const m of list) {
      try {
        if (m.hooks.signal?.aborted) throw new AbortedError();
        const { job, hooks } = m;
        const t = job.spec.training;
        const { seed: trialSeed, split, lut } = trialData(job.spec, job.trial, data);
        const noiseSeed = orderSeedOf(job) ?? trialSeed;
        const stale = hooks.restore && job.captureAt !== null && hooks.restore.iteration > job.captureAt && !hooks.restore.captured;
        const restore = stale ? undefined : hooks.restore;
        if (restore && (restore.trial !== job.trial || restore.variant !== job.variant || restore.round !== job.round)) {
          throw new Error('checkpoint belongs to another run');
        }
        const weights = applyMask(restore?.weights ?? job.init, job.mask);
        out.push({
          member: m,
          job,
          plan: plan0,
          trialSeed,
          noiseSeed,
          valIdx: split.valIdx,
          lut,
          valKey: `${trialSeed}:${t.validationSize}:${(job.spec.engineVersion ?? 1) >= 2 ? 2 : 1}`,
          orderKey: `${trialSeed}:${t.validationSize}:${noiseSeed}`,
          order: exampleOrder(split.trainIdx, noiseSeed, batchSize),
          finalLr: finalLearningRate(t),
          it: restore?.iteration ?? job.startIteration,
          curve: restore ? restore.curve.map((p) => ({ ...p })) : [],
          lossSteps: restore?.lossSteps ?? 0,
          // The one-run trainer reads θk back from its freshly made parameters: the masked init, these same floats.
          captured: restore?.captured ?? (job.captureAt === job.startIteration && !restore ? applyMask(job.init, job.mask) : null),
          began: performance.now(),
          lastCheckpoint: performance.now(),
        });
        starts.push({ weights, optimizer: restore?.optimizer ?? null, lossSum: restore?.lossSum ?? 0, restored: Boolean(restore), trace: traceStart(restore) });
      } catch (err) {
        m.reject(err as Error);
      }
    }
    return { runs: out, starts };
  };
  const first = prepare(members);
  let runs = first.runs;
  const starts = first.starts;
  if (runs.length === 0) return;

  let params: PackedParams;
  let optimizer: PackedOptimizer;
  let lossSum: tf.Variable;
  // Each run's step losses, a column per slot, read at evaluations (and checkpoints, and when the pack changes).
  const trace = new LossTrace(starts.map((s) => s.trace));
  try {
    params = createPackedParams(plan0, starts.map((s) => s.weights), runs.map((r) => r.job.mask));
    optimizer = new PackedOptimizer(t0, params, starts.map((s) => s.optimizer));
    lossSum = variableFrom(tf.tensor1d(starts.map((s) => s.lossSum)), false);
  } catch (err) {
    for (const r of runs) r.member.reject(err as Error);
    return;
  }

  const report = (r: RunState, iteration: number) => {
    const last = r.curve.at(-1);
    r.member.hooks.onProgress?.({
      trial: r.job.trial,
      variant: r.job.variant,
      round: r.job.round,
      iteration,
      startIteration: r.job.startIteration,
      totalIterations: r.job.spec.training.iterations,
      valAccuracy: last?.valAccuracy ?? null,
      testAccuracy: last?.testAccuracy ?? null,
      valLoss: last?.valLoss ?? null,
      evalIteration: last?.iteration ?? null,
    });
  };

  /** Params of the runs at `slots` only (evaluation of a subset): gathered copies, or the pack's own when all. */
  const subsetParams = (slots: number[]): { p: PackedParams; dispose: () => void } => {
    if (slots.length === runs.length && slots.every((s, i) => s === i)) return { p: params, dispose: () => {} };
    const idx = tf.tensor1d(slots, 'int32');
    const p = tf.tidy(() => ({
      kernels: params.kernels.map((k) => tf.gather(k, idx)),
      biases: params.biases.map((b) => tf.gather(b, idx)),
      masks: [] as tf.Tensor[],
    }));
    idx.dispose();
    return { p: p as unknown as PackedParams, dispose: () => tf.dispose([...p.kernels, ...p.biases]) };
  };

  /** Loss and accuracy of the runs at `slots` on their validation split or the test set, in one pass per chunk. */
  const evaluatePacked = async (slots: number[], which: 'val' | 'test'): Promise<{ loss: number; accuracy: number }[]> => {
    const due = slots.map((s) => runs[s]!);
    const indices = which === 'val' ? due.map((r) => r.valIdx) : due.map(() => testIdx);
    const n = indices[0]!.length;
    if (indices.some((ix) => ix.length !== n)) throw new Error('packed evaluation: runs of one pack must evaluate as many examples');
    // Runs that see the same examples with the same normalisation share one fill: the validation split is a
    // function of (trial seed, validation size), and the test set differs between runs only by normalisation.
    const groups = new Map<unknown, number[]>();
    due.forEach((r, j) => {
      const k = which === 'val' ? r.valKey : r.lut;
      groups.set(k, [...(groups.get(k) ?? []), j]);
    });
    const R = due.length;
    const chunkMax = Math.min(EVAL_CHUNK, n);
    const pixels = new Float32Array(R * chunkMax * exampleSize);
    const labels = new Int32Array(R * chunkMax);
    const scratch = new Float32Array(chunkMax * exampleSize);
    const scratchLabels = new Int32Array(chunkMax);
    const lossSums = new Array<number>(R).fill(0);
    const hitSums = new Array<number>(R).fill(0);
    const { p, dispose } = subsetParams(slots);
    try {
      for (let from = 0; from < n; from += EVAL_CHUNK) {
        const size = Math.min(EVAL_CHUNK, n - from);
        for (const js of groups.values()) {
          const r0 = due[js[0]!]!;
          fillBatch(data, indices[js[0]!]!.subarray(from, from + size), scratch, scratchLabels, which === 'val' ? 'train' : 'test', r0.lut);
          for (const j of js) {
            pixels.set(scratch.subarray(0, size * exampleSize), j * size * exampleSize);
            labels.set(scratchLabels.subarray(0, size), j * size);
          }
        }
        const [l, h] = tf.tidy(() => {
          const x = tf.tensor3d(pixels.subarray(0, R * size * exampleSize), [R, size, exampleSize]);
          const y = tf.tensor2d(labels.subarray(0, R * size), [R, size], 'int32');
          const logits = packedForward(plan0, p, x, null, mode);
          const losses = tf.losses.softmaxCrossEntropy(tf.oneHot(y, numClasses), logits, undefined, undefined, tf.Reduction.NONE);
          const hits = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 2), y), 'float32'), 1);
          return [tf.sum(losses, 1), hits];
        });
        const [lv, hv] = await Promise.all([l!.data(), h!.data()]);
        tf.dispose([l!, h!]);
        for (let j = 0; j < R; j++) {
          lossSums[j] = lossSums[j]! + lv[j]!;
          hitSums[j] = hitSums[j]! + hv[j]!;
        }
      }
    } finally {
      dispose();
    }
    return due.map((_, j) => ({ loss: lossSums[j]! / n, accuracy: hitSums[j]! / n }));
  };

  /** Evaluates the runs at `slots` at their current iteration and appends the point to each curve. */
  const evaluateAt = async (slots: number[]) => {
    if (slots.length === 0) return;
    await trace.flush();
    const val = await evaluatePacked(slots, 'val');
    const test = await evaluatePacked(slots, 'test');
    const sums = (await lossSum.data()) as Float32Array;
    slots.forEach((s, j) => {
      const r = runs[s]!;
      const trainLoss = r.lossSteps > 0 ? sums[s]! / r.lossSteps : null;
      r.lossSteps = 0;
      r.curve.push({ iteration: r.it, trainLoss, valLoss: val[j]!.loss, valAccuracy: val[j]!.accuracy, testAccuracy: test[j]!.accuracy });
    });
    // Zero the evaluated runs' loss sums (tf.where: exact, as the one-run trainer's assign(0)).
    const reset = new Float32Array(runs.length);
    for (const s of slots) reset[s] = 1;
    tf.tidy(() => {
      const m = tf.tensor1d(reset);
      lossSum.assign(tf.where(tf.greater(m, 0), tf.zerosLike(lossSum), lossSum));
    });
  };

  const checkpointOf = async (s: number): Promise<Checkpoint> => {
    const r = runs[s]!;
    await trace.flush();
    const sums = (await lossSum.data()) as Float32Array;
    const lossTrace = trace.state(s);
    return {
      trial: r.job.trial,
      variant: r.job.variant,
      round: r.job.round,
      iteration: r.it,
      weights: await readRunWeights(plan0, params, s),
      optimizer: await optimizer.stateOf(s),
      curve: r.curve.map((p) => ({ ...p })),
      lossSum: sums[s]!,
      lossSteps: r.lossSteps,
      captured: r.captured,
      ...(lossTrace ? { lossTrace } : {}),
    };
  };

  /** Drops the runs not in `keep` from every stacked tensor. */
  const shrink = async (keep: number[]) => {
    if (keep.length === runs.length) return;
    await trace.flush();
    trace.keep(keep);
    const idx = tf.tensor1d(keep, 'int32');
    const regather = (vs: tf.Variable[], trainable: boolean) =>
      vs.map((v) => {
        const next = variableFrom(tf.gather(v, idx), trainable);
        v.dispose();
        return next;
      });
    params.kernels = regather(params.kernels, true);
    params.biases = regather(params.biases, true);
    params.masks = params.masks.map((m) => {
      const next = tf.gather(m, idx);
      m.dispose();
      return next;
    });
    lossSum = regather([lossSum], false)[0]!;
    optimizer.keepRows(keep);
    idx.dispose();
    const kept = keep.map((s) => starts[s]!);
    starts.length = 0;
    starts.push(...kept);
    runs = keep.map((s) => runs[s]!);
  };

  const finish = async (s: number) => {
    const r = runs[s]!;
    const t = r.job.spec.training;
    report(r, t.iterations);
    const finalWeights = await readRunWeights(plan0, params, s);
    await trace.flush();
    const lossRecord = trace.final(s);
    const result = { ...runResultOf(r.job, r.curve, t.iterations, r.began), ...(lossRecord ? { trainLossSteps: lossRecord } : {}) };
    r.member.resolve({ result, finalWeights, captured: r.captured });
  };

  /**
   * Runs that became ready while the pack trains join it (a ticket round unlocked by a run that left early): their
   * tensors are appended to every stack, their optimizer rows and loss sums too; they start at their own iteration.
   */
  const grow = async (incoming: PackMember[]) => {
    const add = prepare(incoming);
    if (add.runs.length === 0) return;
    await trace.flush();
    trace.append(add.starts.map((s) => s.trace));
    const more = createPackedParams(plan0, add.starts.map((s) => s.weights), add.runs.map((r) => r.job.mask));
    const moreOptimizer = new PackedOptimizer(t0, more, add.starts.map((s) => s.optimizer));
    const append = <T extends tf.Tensor>(a: T, b: tf.Tensor): tf.Tensor => {
      const c = tf.concat([a, b]);
      a.dispose();
      return c;
    };
    params.kernels = params.kernels.map((k, i) => variableFrom(append(k, more.kernels[i]!), true));
    params.biases = params.biases.map((b, i) => variableFrom(append(b, more.biases[i]!), true));
    params.masks = params.masks.map((m, i) => append(m, more.masks[i]!));
    optimizer.appendRows(moreOptimizer);
    const extraSums = tf.tensor1d(add.starts.map((s) => s.lossSum));
    lossSum = variableFrom(append(lossSum, extraSums), false);
    extraSums.dispose();
    moreOptimizer.dispose();
    disposePackedParams(more);
    const base = runs.length;
    runs.push(...add.runs);
    starts.push(...add.starts);
    await evaluateAt(add.starts.map((st, j) => (st.restored ? -1 : base + j)).filter((s) => s >= 0));
    for (const r of add.runs) report(r, r.it);
    const doneAtStart = add.runs.map((r, j) => (r.it >= r.job.spec.training.iterations ? base + j : -1)).filter((s) => s >= 0);
    for (const s of doneAtStart) await finish(s);
    if (doneAtStart.length) await shrink(runs.map((_, s) => s).filter((s) => !doneAtStart.includes(s)));
  };

  let pixels = new Float32Array(runs.length * batchSize * exampleSize);
  let oneHot = new Float32Array(runs.length * batchSize * numClasses);
  const batch = new Uint32Array(batchSize);
  const hasDropout = members[0]!.job.spec.network.dropout > 0;

  try {
    await evaluateAt(runs.map((_, s) => s).filter((s) => !starts[s]!.restored));
    for (const r of runs) report(r, r.it);
    // Runs restored at their last iteration have nothing left to train.
    const doneAtStart = runs.map((r, s) => (r.it >= r.job.spec.training.iterations ? s : -1)).filter((s) => s >= 0);
    for (const s of doneAtStart) await finish(s);
    await shrink(runs.map((_, s) => s).filter((s) => !doneAtStart.includes(s)));
    let lastYield = performance.now();

    while (runs.length > 0) {
      const incoming = opts.pull?.(runs.length) ?? [];
      if (incoming.length) await grow(incoming);
      if (runs.length === 0) break;
      const R = runs.length;
      if (pixels.length < R * batchSize * exampleSize) {
        pixels = new Float32Array(R * batchSize * exampleSize);
        oneHot = new Float32Array(R * batchSize * numClasses);
      }
      // Each run's batch of its own iteration; runs of one trial at the same iteration share one fill.
      const filled = new Map<string, number>();
      runs.forEach((r, s) => {
        const key = `${r.orderKey}:${r.it}`;
        const from = filled.get(key);
        if (from !== undefined) {
          pixels.copyWithin(s * batchSize * exampleSize, from * batchSize * exampleSize, (from + 1) * batchSize * exampleSize);
          oneHot.copyWithin(s * batchSize * numClasses, from * batchSize * numClasses, (from + 1) * batchSize * numClasses);
          return;
        }
        filled.set(key, s);
        const view = pixels.subarray(s * batchSize * exampleSize, (s + 1) * batchSize * exampleSize);
        fillBatch(data, r.order(r.it, batch), view, oneHot.subarray(s * batchSize * numClasses, (s + 1) * batchSize * numClasses), 'train', r.lut);
        if (r.job.spec.training.augment) augmentBatch(view, batchSize, data.shape, r.noiseSeed, r.it, r.lut);
      });
      const lrs = runs.map((r) => (r.job.lrPolicy === 'final' ? r.finalLr : learningRateAt(r.job.spec.training, r.it)));
      const seeds = hasDropout ? runs.map((r) => deriveSeed(r.noiseSeed, r.job.variant, r.job.round, r.it)) : null;
      tf.tidy(() => {
        const x = tf.tensor3d(pixels.subarray(0, R * batchSize * exampleSize), [R, batchSize, exampleSize]);
        const y = tf.tensor3d(oneHot.subarray(0, R * batchSize * numClasses), [R, batchSize, numClasses]);
        let perRun: tf.Tensor | null = null;
        const vars = [...params.kernels, ...params.biases];
        const { grads } = tf.variableGrads(() => {
          const losses = tf.losses.softmaxCrossEntropy(y, packedForward(plan0, params, x, seeds, mode), undefined, undefined, tf.Reduction.NONE);
          // Each run's mean over its batch, as softmaxCrossEntropy's default reduction divides sum by count. The
          // runs are independent, so the gradient of the sum is each run's own gradient on its own weights.
          // variableGrads tidies this function: keep the per-run losses for the running loss sums.
          perRun = tf.keep(tf.div(tf.sum(losses, 1), tf.scalar(batchSize)));
          return tf.sum(perRun) as tf.Scalar;
        }, vars);
        optimizer.step(
          params,
          params.kernels.map((k) => grads[k.name]!),
          params.biases.map((b) => grads[b.name]!),
          lrs,
        );
        lossSum.assign(tf.add(lossSum, perRun!));
        trace.push(perRun!);
        (perRun as tf.Tensor | null)?.dispose();
      });
      if (trace.mustFlush) await trace.flush();

      const evalDue: number[] = [];
      const finished: number[] = [];
      for (let s = 0; s < R; s++) {
        const r = runs[s]!;
        r.it += 1;
        r.lossSteps += 1;
        const t = r.job.spec.training;
        if (r.job.captureAt === r.it) r.captured = await readRunWeights(plan0, params, s);
        if (r.it % t.evalInterval === 0 || r.it === t.iterations) evalDue.push(s);
        if (r.it >= t.iterations) finished.push(s);
      }
      await evaluateAt(evalDue);
      for (let s = 0; s < R; s++) {
        const r = runs[s]!;
        const every = r.member.hooks.checkpointEveryIterations;
        if (r.member.hooks.onCheckpoint && every && r.it % every === 0 && r.it < r.job.spec.training.iterations) {
          r.member.hooks.onCheckpoint(await checkpointOf(s));
          r.lastCheckpoint = performance.now();
        }
      }
      const stopped: number[] = [];
      if (performance.now() - lastYield > YIELD_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        lastYield = performance.now();
        for (let s = 0; s < R; s++) {
          const r = runs[s]!;
          if (finished.includes(s)) continue;
          if (r.member.hooks.signal?.aborted) {
            // A paused run keeps its work: it resumes from here, alone or in another pack.
            if (r.member.hooks.onCheckpoint && r.it < r.job.spec.training.iterations) r.member.hooks.onCheckpoint(await checkpointOf(s));
            stopped.push(s);
            continue;
          }
          report(r, r.it);
          const h = r.member.hooks;
          if (h.onCheckpoint && r.it < r.job.spec.training.iterations && performance.now() - r.lastCheckpoint > (h.checkpointEveryMs ?? Infinity)) {
            h.onCheckpoint(await checkpointOf(s));
            r.lastCheckpoint = performance.now();
          }
        }
      }
      for (const s of finished) await finish(s);
      for (const s of stopped) runs[s]!.member.reject(new AbortedError());
      if (finished.length || stopped.length) await shrink(runs.map((_, s) => s).filter((s) => !finished.includes(s) && !stopped.includes(s)));
    }
  } catch (err) {
    for (const r of runs) r.member.reject(err as Error);
  } finally {
    optimizer.dispose();
    disposePackedParams(params);
    lossSum.dispose();
    trace.dispose();
  }
}
