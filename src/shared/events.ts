import type { RunResult, ExperimentStatus } from './results';
import type { Variant } from './spec';

/** Where one training run stands: what the trainer reports, and the core of every progress event. */
export interface RunProgress {
  trial: number;
  variant: Variant;
  round: number;
  iteration: number;
  startIteration: number;
  totalIterations: number;
  /** Latest evaluation, when one has happened in this run. */
  valAccuracy: number | null;
  testAccuracy: number | null;
  valLoss: number | null;
  /** The iteration of that evaluation: progress ticks come every few iterations, evaluations every evalInterval. */
  evalIteration?: number | null;
}

/** Events streamed from a running experiment to every front door (terminal, window, browser). */
export type LabEvent =
  | (RunProgress & {
      type: 'progress';
      experimentId: string;
      /** Fraction of the whole experiment's training iterations done, 0..1. */
      fractionDone: number;
      etaSeconds: number | null;
    })
  | { type: 'run-complete'; experimentId: string; result: RunResult }
  | { type: 'status'; experimentId: string; status: ExperimentStatus; error: string | null };
