import type { Variant } from '../../shared/spec';
import { trainedVariants } from '../../shared/variants';
import { controlJob } from './ablations';
import type { ImpContext } from './imp';
import { planNetwork } from './network';
import { atInitMethod, prunablePool, scoreData, type ScoreData } from './pruning';
import { AbortedError } from './trainer';
import { deriveSeed, trialSeed as seedOfTrial } from './random';
import { checkpointKey, type Mask, type TrainJob, type TrainOutcome } from './types';
import { denseMask, glorotInit } from './weights';

const key = (trial: number, round: number) => `${trial}:${round}`;

/** Training iterations of a pruning-at-init experiment: the dense network, then every density with its controls. */
export function plannedAtInitIterations(spec: ImpContext['spec']): number {
  const densities = spec.pruning.densities ?? [];
  return spec.trials * spec.training.iterations * (1 + densities.length * (1 + trainedVariants(spec).length));
}

/**
 * Pruning at initialisation (SNIP, GraSP, SynFlow, magnitude or random at init): per trial, round 0 trains the
 * dense network from θ0; round i prunes θ0 one shot to densities[i-1] with the spec's method, saves that mask,
 * and trains it once from θ0, with the spec's controls and ablations beside it. Rounds do not depend on each
 * other, so every run of a trial may train at once. Masks and runs go to the sink as they exist, and `resume`
 * skips what an earlier attempt stored: the same contract as runImp.
 */
export async function runAtInit(ctx: ImpContext): Promise<void> {
  const { spec, data, executor, sink, resume } = ctx;
  if (spec.pruning.method === 'magnitude') throw new Error('runAtInit: method magnitude is IMP (runImp)');
  if (ctx.source) throw new Error('pruning at initialisation starts from θ0, not from a saved ticket');
  const method = atInitMethod(spec.pruning.method);
  const densities = spec.pruning.densities ?? [];
  if (densities.length === 0) throw new Error(`method '${method.name}' needs pruning.densities`);
  const plan = planNetwork(spec.network, data.shape, data.numClasses);
  const layers = plan.layers;
  const pool = prunablePool(layers, spec);
  if (pool.length === 0) throw new Error('every layer kind has rate 0: pruning at initialisation would prune nothing');
  const total = plannedAtInitIterations(spec);
  const variants = trainedVariants(spec);
  const inFlight = new Map<string, number>();
  let completed = 0;
  for (const r of resume.runs) completed += r.iterations;
  const isDone = (trial: number, variant: Variant, round: number) => resume.runs.some((r) => r.trial === trial && r.variant === variant && r.round === round);

  const inner = new AbortController();
  const stopAll = () => inner.abort();
  ctx.signal?.addEventListener('abort', stopAll, { once: true });
  if (ctx.signal?.aborted) inner.abort();

  const execute = async (job: TrainJob): Promise<TrainOutcome> => {
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
      sink.saveRun(out.result);
      ctx.onRun?.(out.result);
      return out;
    } catch (err) {
      inner.abort();
      throw err;
    }
  };

  const runTrial = async (trial: number): Promise<void> => {
    const trialSeed = seedOfTrial(spec, trial);
    const init0 = glorotInit(layers, trialSeed);
    // θ0 is the "rewind point" of every mask here: stored once, as IMP stores it, so tickets can be saved and exported.
    if (!resume.rewindWeights.has(trial)) sink.saveRewindWeights(trial, init0);
    let sample: ScoreData | null = null;
    const runs: Promise<unknown>[] = [];
    for (let round = 0; round <= densities.length; round++) {
      if (inner.signal.aborted) break;
      let mask: Mask | undefined = resume.masks.get(key(trial, round));
      if (!mask) {
        if (round === 0) mask = denseMask(layers);
        else {
          if (method.needsData) sample ??= scoreData(spec, data, trial);
          try {
            mask = await method.mask({ spec, plan, layers, init: init0, density: densities[round - 1]!, pool, data: method.needsData ? sample : null, seed: deriveSeed(trialSeed, 'at-init', round), signal: inner.signal });
          } catch (err) {
            if (err instanceof AbortedError) throw err;
            inner.abort();
            throw new Error(`trial ${trial}: ${method.name} at density ${densities[round - 1]}: ${(err as Error).message}`);
          }
        }
        sink.saveMask(trial, round, mask);
      }
      if (!isDone(trial, 'ticket', round)) runs.push(execute({ spec, trial, variant: 'ticket', round, init: init0, mask, startIteration: 0, captureAt: null }));
      if (round === 0) continue;
      for (const variant of variants) {
        if (isDone(trial, variant, round)) continue;
        runs.push(execute(controlJob(spec, layers, trialSeed, variant, { trial, round, init: init0, mask, start: 0 }, 0)));
      }
    }
    const settled = await Promise.allSettled(runs);
    const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failure) throw failure.reason;
  };

  try {
    const trials = (ctx.trials ?? Array.from({ length: spec.trials }, (_, t) => t)).map((t) => runTrial(t));
    const settled = await Promise.allSettled(trials);
    const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected' && !(s.reason instanceof AbortedError));
    if (failure) throw failure.reason;
    if (inner.signal.aborted) throw new AbortedError();
  } finally {
    ctx.signal?.removeEventListener('abort', stopAll);
  }
}
