import type { RunResult, ExperimentStatus } from './results';
import type { Variant } from './spec';

/** Events streamed from a running experiment to every front door (terminal, window, browser). */
export type LabEvent =
  | {
      type: 'progress';
      experimentId: string;
      trial: number;
      variant: Variant;
      round: number;
      iteration: number;
      startIteration: number;
      totalIterations: number;
      valAccuracy: number | null;
      testAccuracy: number | null;
      valLoss: number | null;
      /** Fraction of the whole experiment's training iterations done, 0..1. */
      fractionDone: number;
      etaSeconds: number | null;
    }
  | { type: 'run-complete'; experimentId: string; result: RunResult }
  | { type: 'status'; experimentId: string; status: ExperimentStatus; error: string | null };
