import { setMaxListeners } from 'node:events';
import type { Variant } from '../../shared/spec';
import type { ImpContext } from './imp';
import { AbortedError } from './trainer';
import { checkpointKey, type TrainJob, type TrainOutcome } from './types';

/**
 * What every experiment driver (IMP, pruning at initialisation) does around its runs: restore each from its
 * checkpoint, save checkpoints and the finished run, report progress over `total` iterations, and stop every
 * run when one fails or the caller stops (their results would be an incomplete experiment anyway).
 */
export function runScheduler(ctx: ImpContext, total: number) {
  const { executor, sink, resume } = ctx;
  const inFlight = new Map<string, number>();
  let completed = 0;
  for (const r of resume.runs) completed += r.iterations;
  const inner = new AbortController();
  // Every run of the experiment listens to this one signal while it waits or trains: 15 trials packed on a GPU
  // are 15 listeners at once, not a leak (each executor removes its own), so Node's warning at 11 does not apply.
  setMaxListeners(0, inner.signal);
  const stopAll = () => inner.abort();
  ctx.signal?.addEventListener('abort', stopAll, { once: true });
  if (ctx.signal?.aborted) inner.abort();

  return {
    signal: inner.signal,
    /** Stops every run: work outside `execute` (scoring a mask) failed. */
    stopAll,
    isDone: (trial: number, variant: Variant, round: number) => resume.runs.some((r) => r.trial === trial && r.variant === variant && r.round === round),

    /** Trains one run; `keep` stores what later rounds need before the run itself, so a stored run never trains again. */
    async execute(job: TrainJob, keep?: (out: TrainOutcome) => void): Promise<TrainOutcome> {
      const runKey = `${job.trial}:${job.variant}:${job.round}`;
      if (inner.signal.aborted) throw new AbortedError();
      try {
        const out = await executor.run(job, job.round * 4 + (job.variant === 'ticket' ? 0 : 1), {
          signal: inner.signal,
          restore: resume.checkpoints.get(checkpointKey(job.trial, job.variant, job.round)),
          checkpointEveryMs: ctx.checkpointEveryMs,
          checkpointEveryIterations: ctx.checkpointEveryIterations,
          onCheckpoint: ctx.checkpointEveryMs || ctx.checkpointEveryIterations ? (c) => sink.saveCheckpoint(c) : undefined,
          onProgress: (p) => {
            inFlight.set(runKey, p.iteration - p.startIteration);
            let now = 0;
            for (const v of inFlight.values()) now += v;
            ctx.onProgress?.(p, Math.min(1, (completed + now) / total));
          },
        });
        inFlight.delete(runKey);
        completed += out.result.iterations;
        keep?.(out);
        sink.saveRun(out.result);
        ctx.onRun?.(out.result);
        return out;
      } catch (err) {
        inner.abort();
        throw err;
      }
    },

    /** Runs every trial of the context (or its filter) to the end; a stop between runs still ends unfinished. */
    async allTrials(runTrial: (trial: number) => Promise<void>): Promise<void> {
      try {
        const trials = (ctx.trials ?? Array.from({ length: ctx.spec.trials }, (_, t) => t)).map((t) => runTrial(t));
        const settled = await Promise.allSettled(trials);
        const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected' && !(s.reason instanceof AbortedError));
        if (failure) throw failure.reason;
        if (inner.signal.aborted) throw new AbortedError();
      } finally {
        ctx.signal?.removeEventListener('abort', stopAll);
      }
    },
  };
}
