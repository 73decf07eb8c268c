import type { ExperimentSpec, Variant } from '../../shared/spec';
import type { RunResult } from '../../shared/results';
import { earlyBirdConventions } from '../../shared/analyses/early-bird';
import type { LoadedDataset } from './data/types';
import type { Executor } from './executor';
import { planNetwork, type NetworkPlan } from './network';
import { magnitudeMask } from './prune';
import { controlJob } from './ablations';
import { trainedVariants } from '../../shared/variants';
import { trialSeed as seedOfTrial } from './random';
import type { ExperimentSink, Mask, ResumeState, TrainJob, TrainProgress, WeightSet } from './types';
import { denseMask, initialWeights } from './weights';
import { runScheduler } from './run-scheduler';

export interface ImpContext {
  spec: ExperimentSpec;
  data: LoadedDataset;
  executor: Executor;
  sink: ExperimentSink;
  resume: ResumeState;
  /** A saved ticket to start from (retrain / transfer): its mask and rewind weights are round 0. */
  source?: { mask: Mask; weights: WeightSet };
  signal?: AbortSignal;
  /** `fractionDone` covers the whole experiment: every trial, round and variant. */
  onProgress?: (progress: TrainProgress, fractionDone: number) => void;
  onRun?: (result: RunResult) => void;
  /** Run only these trials (a Slurm array task runs one); every trial of the spec when absent. */
  trials?: readonly number[];
  /** Save the state of runs in flight this often, so a crash loses at most that much (default: never). */
  checkpointEveryMs?: number;
  checkpointEveryIterations?: number;
}

const key = (trial: number, round: number) => `${trial}:${round}`;

function isDense(mask: Mask): boolean {
  return mask.every((m) => m.every((v) => v === 1));
}

/** Which variants train at a round: controls only where the mask actually prunes something. */
export function plannedVariants(spec: ExperimentSpec, round: number, sourceIsSparse: boolean): Variant[] {
  return round > 0 || sourceIsSparse ? ['ticket', ...trainedVariants(spec)] : ['ticket'];
}

/** Where a run starts: the dense round at 0, pruned rounds at the rewind point, the reinit control per spec. */
export function startIteration(spec: ExperimentSpec, variant: Variant, round: number): number {
  if (round === 0) return 0;
  if (variant === 'reinit' && spec.pruning.reinitStart === 'zero') return 0;
  return spec.pruning.rewindIteration;
}

/** Training iterations of the whole experiment, for progress and ETA. */
export function plannedIterations(spec: ExperimentSpec, sourceIsSparse = false): number {
  const { iterations } = spec.training;
  let perTrial = 0;
  for (let r = 0; r < spec.pruning.rounds; r++) {
    for (const v of plannedVariants(spec, r, sourceIsSparse)) perTrial += iterations - startIteration(spec, v, r);
  }
  return perTrial * spec.trials;
}

/**
 * Iterative magnitude pruning with rewinding, for every trial, with the controls beside each pruned round.
 * Everything computed goes to the sink as soon as it exists, so an interruption loses at most the runs in
 * flight, and `resume` (what the sink kept) lets a later call skip what is done. Given the same spec, seed
 * and backend, results do not depend on how the executor schedules runs.
 */
export async function runImp(ctx: ImpContext): Promise<void> {
  const { spec, data, sink, resume } = ctx;
  // Issue 13: other methods prune at initialisation (src/main/engine/at-init.ts); never run them as IMP.
  if ((spec.pruning.method ?? 'magnitude') !== 'magnitude') throw new Error(`runImp runs IMP; method '${spec.pruning.method}' prunes at initialisation (runAtInit)`);
  const plan: NetworkPlan = planNetwork(spec.network, data.shape, data.numClasses);
  const layers = plan.layers;
  const k = spec.pruning.rewindIteration;
  // Learning-rate rewinding and fine-tuning retrain from the previous round's trained weights, not from θk.
  const mode = spec.pruning.retrain ?? 'rewind';
  const keepsTrained = mode !== 'rewind';
  const sourceIsSparse = ctx.source ? !isDense(ctx.source.mask) : false;
  const total = plannedIterations(spec, sourceIsSparse);
  const { execute, isDone, signal: stopped, allTrials } = runScheduler(ctx, total);

  const runTrial = async (trial: number): Promise<void> => {
    const trialSeed = seedOfTrial(spec, trial);
    const init0 = ctx.source?.weights ?? initialWeights(layers, trialSeed, ctx.spec.network);
    const mask0 = ctx.source?.mask ?? denseMask(layers);
    let rewind = resume.rewindWeights.get(trial) ?? null;
    if (!rewind && k === 0) {
      rewind = init0;
      sink.saveRewindWeights(trial, rewind);
    }
    const controls: Promise<unknown>[] = [];
    let prevMask = mask0;
    let prevTrained: WeightSet | null = null;
    let trained0: WeightSet | null = null;

    for (let round = 0; round < spec.pruning.rounds; round++) {
      if (stopped.aborted) break;
      let mask = round === 0 ? mask0 : resume.masks.get(key(trial, round));
      if (!mask) {
        const from = spec.pruning.oneShot ? trained0 : prevTrained;
        if (!from) throw new Error(`trial ${trial} round ${round}: the trained weights of the previous round are missing`);
        mask = magnitudeMask(layers, from, spec.pruning.oneShot ? mask0 : prevMask, mask0, round, spec.pruning);
      }
      if (!resume.masks.has(key(trial, round))) sink.saveMask(trial, round, mask);

      const start = round === 0 ? 0 : k;
      const needTrained =
        round < spec.pruning.rounds - 1 && (!resume.masks.has(key(trial, round + 1)) || (keepsTrained && !isDone(trial, 'ticket', round + 1)));
      let trained = resume.trainedWeights.get(key(trial, round)) ?? null;
      if (!isDone(trial, 'ticket', round) || (needTrained && !trained && !(spec.pruning.oneShot && round > 0))) {
        if (round > 0 && !keepsTrained && !rewind) throw new Error(`trial ${trial}: the rewind weights (iteration ${k}) are missing`);
        const retrainFrom = spec.pruning.oneShot ? trained0 : prevTrained;
        if (round > 0 && keepsTrained && !retrainFrom) throw new Error(`trial ${trial} round ${round}: the trained weights of the previous round are missing`);
        const out = await execute(
          {
            spec,
            trial,
            variant: 'ticket',
            round,
            init: round === 0 ? init0 : keepsTrained ? retrainFrom! : rewind!,
            mask,
            startIteration: start,
            captureAt: round === 0 && k > 0 ? k : null,
            lrPolicy: round > 0 && mode === 'finetune' ? 'final' : 'schedule',
            // The last round always trains to the end: its accuracy is the found ticket's.
            earlyBird: spec.earlyBird
              ? {
                  epsilon: spec.earlyBird.epsilon,
                  patience: spec.earlyBird.patience,
                  stop: spec.earlyBird.prune && round < spec.pruning.rounds - 1,
                  ...earlyBirdConventions(spec.earlyBird),
                }
              : undefined,
          },
          (o) => {
            if (round === 0 && k > 0) {
              if (!o.captured) throw new Error(`trial ${trial}: the run did not capture the weights at iteration ${k}`);
              sink.saveRewindWeights(trial, o.captured);
            }
            sink.saveTrainedWeights(trial, round, o.finalWeights);
            if (o.earlyBird) sink.saveAnalysis?.('early-bird', trial, round, o.earlyBird);
          },
        );
        if (round === 0 && k > 0) rewind = out.captured;
        trained = out.finalWeights;
      }
      if (round === 0) trained0 = trained;

      const controlsHere = plannedVariants(spec, round, sourceIsSparse).filter((v) => v !== 'ticket' && !isDone(trial, v, round));
      // Score inversion for IMP: the magnitudes this round's mask was cut from, the smallest kept at the same counts.
      let inverted: Mask | undefined;
      if (controlsHere.includes('invert') && round > 0) {
        const from = spec.pruning.oneShot ? trained0 : prevTrained;
        if (!from) throw new Error(`trial ${trial} round ${round}: the 'invert' ablation needs the trained weights of the round the mask was cut from, which are missing`);
        inverted = magnitudeMask(layers, from, spec.pruning.oneShot ? mask0 : prevMask, mask0, round, spec.pruning, true);
      }
      for (const variant of controlsHere) {
        // Controls and ablations: src/main/engine/ablations.ts builds each from the ticket's start.
        const job: TrainJob = controlJob(spec, layers, trialSeed, variant as Exclude<Variant, 'ticket'>, { trial, round, init: (round === 0 ? init0 : rewind)!, mask, start, inverted }, startIteration(spec, variant, round));
        controls.push(execute(job));
      }
      prevMask = mask;
      prevTrained = trained;
    }
    await Promise.all(controls);
  };

  await allTrials(runTrial);
}
