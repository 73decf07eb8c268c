import type { LoadedDataset } from '../engine/data/types';
import { trainRun } from '../engine/trainer';
import { BATCH, benchSpec, maskedJob, withTinyTestSet, type BenchNet } from './networks';

/**
 * One timed chunk of the engine's real training loop: trainRun on a masked job, `warmup` steps first, then
 * `steps` timed ones. trainRun evaluates only at its first and last iteration here (evalInterval = iterations,
 * one validation and one test example), and the timed window lies strictly between them, measured from the
 * loop's own progress reports: evaluation is excluded, everything else a step does (batch filling, the
 * forward/backward pass, the masked optimizer, the loss sum, yielding to the event loop) is included.
 */
export async function lthChunk(net: BenchNet, data: LoadedDataset, warmup: number, steps: number): Promise<number> {
  const total = warmup + steps + 1;
  const spec = benchSpec(net, { iterations: total });
  const marks: { it: number; t: number }[] = [];
  await trainRun(maskedJob(spec, withTinyTestSet(data)), withTinyTestSet(data), {
    onProgress: (p) => marks.push({ it: p.iteration, t: performance.now() }),
  });
  const inWindow = marks.filter((m) => m.it >= warmup && m.it < total);
  const a = inWindow[0];
  const b = inWindow.at(-1);
  if (!a || !b || b.it <= a.it) throw new Error(`bench: too few progress marks for ${net} (${marks.length})`);
  return (b.t - a.t) / (b.it - a.it);
}

export interface Rate {
  /** Best chunk (least disturbed by other load). */
  stepsPerSec: number;
  examplesPerSec: number;
  msPerStep: number;
  medianStepsPerSec: number;
  chunksMs: number[];
}

export function rateOf(chunksMs: number[]): Rate {
  const sorted = [...chunksMs].sort((x, y) => x - y);
  const bestMs = sorted[0]!;
  const med = sorted.length % 2 ? sorted[sorted.length >> 1]! : (sorted[(sorted.length >> 1) - 1]! + sorted[sorted.length >> 1]!) / 2;
  const r = (x: number, d = 3) => Number(x.toFixed(d));
  return {
    stepsPerSec: r(1000 / bestMs, 2),
    examplesPerSec: r((1000 / bestMs) * BATCH, 1),
    msPerStep: r(bestMs),
    medianStepsPerSec: r(1000 / med, 2),
    chunksMs: chunksMs.map((c) => r(c)),
  };
}
