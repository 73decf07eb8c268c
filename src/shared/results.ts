import type { ExperimentSpec, Variant } from './spec';
import type { SlurmExperimentInfo } from './slurm';
import type { LayerInfo } from './layers';

/** One evaluation during training. Accuracies are fractions of 1. */
export interface EvalPoint {
  iteration: number;
  /** Mean training loss over the iterations since the previous evaluation (null at iteration 0). */
  trainLoss: number | null;
  valLoss: number;
  valAccuracy: number;
  testAccuracy: number;
}

export type { LayerInfo, LayerKind } from './layers';

/** The result of training one variant for one round of one trial. */
export interface RunResult {
  trial: number;
  variant: Variant;
  round: number;
  /** Fraction of prunable weights remaining. */
  weightsRemaining: number;
  /** Fraction remaining per layer, in layer order. */
  layerDensity: number[];
  /** Iteration of minimum validation loss. */
  earlyStopIteration: number;
  valLoss: number;
  valAccuracy: number;
  testAccuracy: number;
  finalValAccuracy: number;
  finalTestAccuracy: number;
  iterations: number;
  durationMs: number;
  curve: EvalPoint[];
  /**
   * The training loss per TRAIN_LOSS_WINDOW steps from the run's first iteration: entry i is the mean of steps
   * i·W+1 … (i+1)·W (the last may hold fewer). Absent for runs stored before it was recorded.
   */
  trainLossSteps?: number[];
}

/** Steps per entry of RunResult.trainLossSteps: the training loss is recorded as the mean of every 10 steps. */
export const TRAIN_LOSS_WINDOW = 10;

export type ExperimentStatus = 'queued' | 'running' | 'paused' | 'completed' | 'interrupted' | 'failed' | 'cancelled';

export type BackendName = 'tensorflow-gpu' | 'webgpu' | 'tensorflow-cpu' | 'wasm' | 'cpu';

/** The WebGPU adapter a 'webgpu' backend trains on, as its driver names it. */
export interface GpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** The adapter reports itself as a CPU (fallback) adapter. */
  fallback: boolean;
  /** A software rasterizer (llvmpipe, lavapipe, SwiftShader, softpipe) or a fallback adapter: correct, not fast. */
  software: boolean;
  /** Dawn's backend under WebGPU: 'vulkan', 'metal', 'd3d12', 'opengles' (compatibility mode), or 'browser'. */
  route: string;
}

export interface WinningTicket {
  round: number;
  weightsRemaining: number;
  /** Mean over trials, at the early-stopping iteration. */
  valAccuracy: number;
  testAccuracy: number;
  earlyStopIteration: number;
  /**
   * Trials the verdict averages (every trial of the experiment: a round qualifies only once all have trained it),
   * their spread, and each trial's own numbers at the winning round. Absent in verdicts cached before engine v2.
   */
  trials?: number;
  spread?: { valAccuracy: TrialStat; testAccuracy: TrialStat; earlyStopIteration: TrialStat };
  perTrial?: { trial: number; weightsRemaining: number; valAccuracy: number; testAccuracy: number; earlyStopIteration: number }[];
}

/** Mean, sample std, min and max over trials. */
export interface TrialStat {
  mean: number;
  std: number;
  min: number;
  max: number;
  n: number;
}

export interface ExperimentSummary {
  id: string;
  name: string;
  status: ExperimentStatus;
  datasetId: string;
  datasetHash: string;
  backend: BackendName | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  sourceTicketId: string | null;
  /** Completed ticket rounds over planned rounds, for progress in lists. */
  roundsDone: number;
  roundsPlanned: number;
  /** What the experiment does (src/shared/kind.ts); absent from summaries made before it was sent. */
  kind?: import('./kind').ExperimentKind;
  diskBytes: number;
  winningTicket: WinningTicket | null;
  /** Free-form notes and tags (the window edits them); absent from records of older stores. */
  notes?: string;
  tags?: string[];
}

/** A run that started but has not finished (in progress, or stopped by pause, cancel or a crash): its curve so far. */
export interface PartialRun {
  trial: number;
  variant: Variant;
  round: number;
  /** Last iteration reported. */
  iteration: number;
  totalIterations: number;
  /** Evaluations so far (no training loss: the live events do not carry it). */
  curve: { iteration: number; valAccuracy: number; testAccuracy: number | null; valLoss: number }[];
  /** ISO time of the last report. */
  updatedAt: string;
}

export interface ExperimentDetail extends ExperimentSummary {
  spec: ExperimentSpec;
  specHash: string;
  /** backendDetail and adapter: what the backend recorded when the experiment last started (absent in older records). */
  versions: { lthLab: string; tfjs: string; backendDetail?: string; adapter?: GpuAdapterInfo };
  layers: LayerInfo[];
  runs: RunResult[];
  /** Why no winning ticket was named, when there is none. */
  winningTicketReason: string | null;
  /** Early-bird series of the ticket runs (spec.earlyBird set), per trial and round. */
  earlyBird?: { trial: number; round: number; series: import('./analyses/early-bird').EarlyBirdSeries }[];
  /** An instability analysis's results (spec.stability set): every point of every trial, and per point over trials. */
  stability?: {
    threshold: number;
    points: import('./analyses/stability').StabilityPointResult[];
    summary: import('./analyses/stability').StabilitySummary[];
    /** The earliest starting point from which every later one is stable: the k to use for late rewinding. */
    suggestedRewindPoint: number | null;
  };
  /** Runs started but not stored yet, with their curves so far (kept after pause or cancel). */
  partialRuns?: PartialRun[];
  /** For a retrain or transfer: the dense network trained on the same dataset, to judge the ticket against. */
  denseBaseline?: DenseBaseline | null;
  /** Set when the trials run as a Slurm job array: per-trial cluster state and runs brought home. */
  slurm?: SlurmExperimentInfo | null;
}

/** The dense network of a transfer's target dataset (same network and training, no mask), mean over trials. */
export interface DenseBaseline {
  experimentId: string;
  name: string;
  status: ExperimentStatus;
  /** Null until its round 0 has finished. */
  valAccuracy: number | null;
  testAccuracy: number | null;
  earlyStopIteration: number | null;
}

export interface TicketRecord {
  id: string;
  name: string;
  notes: string;
  tags: string[];
  experimentId: string;
  trial: number;
  round: number;
  datasetId: string;
  network: ExperimentSpec['network'];
  weightsRemaining: number;
  layerDensity: number[];
  valAccuracy: number;
  testAccuracy: number;
  hasTrainedWeights: boolean;
  createdAt: string;
  diskBytes: number;
  /** How its mask was found and how its rounds retrained (the source spec's pruning), for search and lists. */
  method?: ExperimentSpec['pruning']['method'];
  retrain?: ExperimentSpec['pruning']['retrain'];
}

export interface DatasetInfo {
  id: string;
  name: string;
  source: 'builtin' | 'idx' | 'cifar10';
  /** [height, width, channels] */
  shape: [number, number, number];
  numClasses: number;
  classNames: string[];
  trainCount: number;
  testCount: number;
  trainClassCounts: number[];
  testClassCounts: number[];
  /** sha256 of the dataset files' contents, recorded by every experiment that uses it. */
  hash: string;
  createdAt: string;
  diskBytes: number;
}
