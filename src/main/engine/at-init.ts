import { trainedVariants } from '../../shared/variants';
import { controlJob } from './ablations';
import type { ImpContext } from './imp';
import { planNetwork } from './network';
import { atInitMethod, prunablePool, scoreData, type ScoreData } from './pruning';
import { AbortedError } from './trainer';
import { deriveSeed, trialSeed as seedOfTrial } from './random';
import type { Mask } from './types';
import { denseMask, initialWeights } from './weights';
import { runScheduler } from './run-scheduler';

const key = (trial: number, round: number) => `${trial}:${round}`;

/** Training iterations of a pruning-at-init experiment: the dense network, then every density with its controls. */
export function plannedAtInitIterations(spec: ImpContext['spec']): number {
  const densities = spec.pruning.densities ?? [];
  return spec.trials * spec.training.iterations * (1 + densities.length * (1 + trainedVariants(spec).length));
}

/**
 * Pruning at initialisation (SNIP, GraSP, SynFlow, magnitude or random at init): per trial, round 0 trains the
 * dense network from θ0; round i prunes θ0 one shot to densities[i-1] with the spec's method, saves that mask,
 * and trains it once from θ0, with the spec's controls and ablations beside it ('invert': the method's mask
 * of the lowest scores, at the same count). Rounds do not depend on each
 * other, so every run of a trial may train at once. Masks and runs go to the sink as they exist, and `resume`
 * skips what an earlier attempt stored: the same contract as runImp.
 */
export async function runAtInit(ctx: ImpContext): Promise<void> {
  const { spec, data, sink, resume } = ctx;
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
  const { execute, isDone, signal: stopped, stopAll, allTrials } = runScheduler(ctx, total);

  const runTrial = async (trial: number): Promise<void> => {
    const trialSeed = seedOfTrial(spec, trial);
    const init0 = initialWeights(layers, trialSeed, spec.network);
    // θ0 is the "rewind point" of every mask here: stored once, as IMP stores it, so tickets can be saved and exported.
    if (!resume.rewindWeights.has(trial)) sink.saveRewindWeights(trial, init0);
    let sample: ScoreData | null = null;
    const memo = new Map<string, Promise<Float32Array[]>>();
    const runs: Promise<unknown>[] = [];
    for (let round = 0; round <= densities.length; round++) {
      if (stopped.aborted) break;
      let mask: Mask | undefined = resume.masks.get(key(trial, round));
      if (!mask) {
        if (round === 0) mask = denseMask(layers);
        else {
          if (method.needsData) sample ??= scoreData(spec, data, trial);
          try {
            mask = await method.mask({ spec, plan, layers, init: init0, density: densities[round - 1]!, pool, data: method.needsData ? sample : null, seed: deriveSeed(trialSeed, 'at-init', round), signal: stopped, memo });
          } catch (err) {
            if (err instanceof AbortedError) throw err;
            stopAll();
            throw new Error(`trial ${trial}: ${method.name} at density ${densities[round - 1]}: ${(err as Error).message}`);
          }
        }
        sink.saveMask(trial, round, mask);
      }
      if (!isDone(trial, 'ticket', round)) runs.push(execute({ spec, trial, variant: 'ticket', round, init: init0, mask, startIteration: 0, captureAt: null }));
      if (round === 0) continue;
      // Score inversion is the method run again with its ranking reversed (memoised scores are not recomputed).
      let inverted: Mask | undefined;
      if (variants.includes('invert') && !isDone(trial, 'invert', round)) {
        if (method.needsData) sample ??= scoreData(spec, data, trial);
        inverted = await method.mask({ spec, plan, layers, init: init0, density: densities[round - 1]!, pool, data: method.needsData ? sample : null, seed: deriveSeed(trialSeed, 'at-init', round), signal: stopped, memo, invert: true });
      }
      for (const variant of variants) {
        if (isDone(trial, variant, round)) continue;
        runs.push(execute(controlJob(spec, layers, trialSeed, variant, { trial, round, init: init0, mask, start: 0, inverted }, 0)));
      }
    }
    const settled = await Promise.allSettled(runs);
    const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failure) throw failure.reason;
  };

  await allTrials(runTrial);
}
