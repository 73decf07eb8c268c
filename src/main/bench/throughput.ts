import type { LoadedDataset } from '../engine/data/types';
import { trainRun } from '../engine/trainer';
import { BATCH, benchSpec, maskedJob, withTinyTestSet, type BenchNet } from './networks';

/** Thrown from the progress hook to end a chunk once its window is measured (trainRun disposes everything in its finally). */
class ChunkDone extends Error {}

export interface Chunk {
  msPerStep: number;
  /** Steps inside the timed window (fewer than asked when the time budget ended the chunk early). */
  steps: number;
}

/**
 * One timed chunk of the engine's real training loop: trainRun on a masked job, `warmup` steps first, then up to
 * `steps` timed ones. trainRun evaluates only at its first iteration here (evalInterval = iterations, one
 * validation and one test example), and the timed window lies strictly after it, measured from the loop's own
 * progress reports: evaluation is excluded, everything else a step does (batch filling, augmentation, the
 * forward/backward pass, the masked optimizer, batch-norm statistics, the loss sum, yielding to the event loop)
 * is included. The chunk ends at the first report at or past `warmup + steps`, or, with `budgetMs`, at the first
 * report at least that long after the window opened (one step at least): a slow backend times fewer steps.
 */
export async function lthChunk(net: BenchNet, data: LoadedDataset, warmup: number, steps: number, budgetMs = Infinity): Promise<Chunk> {
  const total = warmup + steps + 1;
  const spec = benchSpec(net, { iterations: total });
  const marks: { it: number; t: number }[] = [];
  try {
    await trainRun(maskedJob(spec, withTinyTestSet(data)), withTinyTestSet(data), {
      onProgress: (p) => {
        const mark = { it: p.iteration, t: performance.now() };
        marks.push(mark);
        if (mark.it >= total) return;
        const open = marks.find((m) => m.it >= warmup);
        if (open && mark.it > open.it && (mark.it >= warmup + steps || mark.t - open.t >= budgetMs)) throw new ChunkDone();
      },
    });
  } catch (err) {
    if (!(err instanceof ChunkDone)) throw err;
  }
  const inWindow = marks.filter((m) => m.it >= warmup && m.it < total);
  const a = inWindow[0];
  const b = inWindow.at(-1);
  if (!a || !b || b.it <= a.it) throw new Error(`bench: too few progress marks for ${net} (${marks.length})`);
  return { msPerStep: (b.t - a.t) / (b.it - a.it), steps: b.it - a.it };
}

export interface Rate {
  /** Best chunk (least disturbed by other load). */
  stepsPerSec: number;
  examplesPerSec: number;
  msPerStep: number;
  medianStepsPerSec: number;
  chunksMs: number[];
  /** Steps timed in each chunk (absent in reports written before the deep networks: then as planned). */
  chunkSteps?: number[];
}

export function rateOf(chunksMs: number[], batch = BATCH, chunkSteps?: number[]): Rate {
  const sorted = [...chunksMs].sort((x, y) => x - y);
  const bestMs = sorted[0]!;
  const med = sorted.length % 2 ? sorted[sorted.length >> 1]! : (sorted[(sorted.length >> 1) - 1]! + sorted[sorted.length >> 1]!) / 2;
  const r = (x: number, d = 3) => Number(x.toFixed(d));
  // Two decimals, or three significant digits under 1 step/s (a deep network on a slow backend: 0.0112, not 0.01).
  const perSec = (x: number) => (x >= 1 ? r(x, 2) : Number(x.toPrecision(3)));
  return {
    stepsPerSec: perSec(1000 / bestMs),
    examplesPerSec: r((1000 / bestMs) * batch, 1),
    msPerStep: r(bestMs),
    medianStepsPerSec: perSec(1000 / med),
    chunksMs: chunksMs.map((c) => r(c)),
    ...(chunkSteps ? { chunkSteps } : {}),
  };
}

/** "3 x 10" (chunks x steps timed in each), or the steps of each chunk when they differ ("4 + 3 + 3"). */
export function describeChunks(rate: Pick<Rate, 'chunksMs' | 'chunkSteps'>): string {
  const steps = rate.chunkSteps;
  if (!steps?.length) return String(rate.chunksMs.length);
  return steps.every((s) => s === steps[0]) ? `${steps.length} x ${steps[0]}` : steps.join(' + ');
}
