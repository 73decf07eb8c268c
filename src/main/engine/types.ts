import type { RunProgress } from '../../shared/events';
import type { ExperimentSpec, Variant } from '../../shared/spec';
import type { BackendName, GpuAdapterInfo, LayerInfo, RunResult } from '../../shared/results';

/** Kernel and bias of every prunable layer, in layer order. Plain typed arrays: portable across backends and processes. */
export interface WeightSet {
  kernels: Float32Array[];
  biases: Float32Array[];
  /**
   * Batch-norm state per layer, [γ, running mean, running variance] (3 x channels; empty for a layer without
   * batch norm); absent when no layer has batch norm. Trained and rewound with the weights, never masked.
   */
  norms?: Float32Array[];
}

/** One 0/1 byte per kernel element, per prunable layer in layer order. Stored bit-packed. */
export type Mask = Uint8Array[];

/** One training run: one variant of one round of one trial. */
export interface TrainJob {
  spec: ExperimentSpec;
  trial: number;
  variant: Variant;
  round: number;
  /** Weights to start from; pruned entries are zeroed by the trainer. */
  init: WeightSet;
  mask: Mask;
  /** First iteration (the rewind point k for pruned rounds with late rewinding; 0 otherwise). */
  startIteration: number;
  /** Capture the weights at this iteration (round 0 with late rewinding). */
  captureAt: number | null;
  /** 'schedule' (default): the spec's rate at each iteration; 'final': its last rate throughout (fine-tuning). */
  lrPolicy?: 'schedule' | 'final';
  /** Seed of the data order and dropout instead of the trial's (the instability analysis's copies); same split. */
  orderSeed?: number;
  /** Track the early-bird mask distance at every evaluation, and with `stop` end the run when it emerges. */
  earlyBird?: import('./analyses/early-bird').EarlyBirdOptions;
}

export interface TrainOutcome {
  result: RunResult;
  finalWeights: WeightSet;
  captured: WeightSet | null;
  /** The early-bird series of a run that tracked it (job.earlyBird). */
  earlyBird?: import('../../shared/analyses/early-bird').EarlyBirdSeries;
}

export type TrainProgress = RunProgress;

/**
 * The state of a run in the middle of training, enough to continue it bit for bit: the data order,
 * validation split and dropout are functions of (seed, iteration), so they need no saving.
 */
export interface Checkpoint {
  trial: number;
  variant: Variant;
  round: number;
  /** Iterations completed. */
  iteration: number;
  weights: WeightSet;
  optimizer: { step: number; first: Float32Array[]; second: Float32Array[] };
  curve: import('../../shared/results').EvalPoint[];
  lossSum: number;
  lossSteps: number;
  /** The per-step loss record so far (loss-trace.ts); absent in older checkpoints, whose runs then record none. */
  lossTrace?: import('./loss-trace').LossTraceState;
  /** θk when the run captures it (round 0 with late rewinding) and has passed k; absent in older checkpoints. */
  captured?: WeightSet | null;
  /** The early-bird series so far, for a run that tracks it. */
  earlyBird?: import('./analyses/early-bird').EarlyBirdState;
}

/** Where the IMP driver keeps what it computes, as soon as it is computed (the store implements it). */
export interface ExperimentSink {
  saveRewindWeights(trial: number, weights: WeightSet): void;
  saveMask(trial: number, round: number, mask: Mask): void;
  /** Trained weights of a ticket round: what resuming needs to compute the next mask. */
  saveTrainedWeights(trial: number, round: number, weights: WeightSet): void;
  /** Also removes the run's checkpoint: a finished run never restarts from the middle. */
  saveRun(result: RunResult): void;
  saveCheckpoint(checkpoint: Checkpoint): void;
  /** Analysis results beside the runs (the early-bird series of a ticket run); optional for sinks that keep none. */
  saveAnalysis?(kind: string, trial: number, point: number, data: unknown): void;
}

/** What a previous, interrupted attempt left behind. */
export interface ResumeState {
  rewindWeights: Map<number, WeightSet>;
  masks: Map<string, Mask>; // key `${trial}:${round}`
  trainedWeights: Map<string, WeightSet>; // key `${trial}:${round}`
  runs: RunResult[];
  checkpoints: Map<string, Checkpoint>; // key `${trial}:${variant}:${round}`
}

export const emptyResumeState = (): ResumeState => ({
  rewindWeights: new Map(),
  masks: new Map(),
  trainedWeights: new Map(),
  runs: [],
  checkpoints: new Map(),
});

export const checkpointKey = (trial: number, variant: Variant, round: number): string => `${trial}:${variant}:${round}`;

export interface BackendInfo {
  name: BackendName;
  /** tfjs backend id actually registered: 'tensorflow', 'webgpu', 'wasm' or 'cpu'. */
  tfBackend: string;
  detail: string;
  /** The WebGPU adapter ('webgpu' only). */
  adapter?: GpuAdapterInfo;
  /** A warning a person must see: a GPU backend that was asked for or installed but failed, and what runs instead. */
  note?: string | null;
}

export type { LayerInfo };
