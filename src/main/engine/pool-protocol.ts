import type { DatasetRef } from './data/descriptor';
import type { Checkpoint, TrainJob, TrainOutcome, TrainProgress } from './types';

/** Messages between a process-pool executor and its training processes. */
export type ToTrainer =
  | { type: 'trainer-init'; dataset: DatasetRef; backend: string }
  | { type: 'train'; id: number; job: TrainJob; restore?: Checkpoint; checkpointEveryMs?: number; checkpointEveryIterations?: number }
  | { type: 'train-abort'; id: number };

export type FromTrainer =
  | { type: 'trainer-ready'; backend: string }
  | { type: 'trainer-failed'; message: string }
  | { type: 'train-progress'; id: number; progress: TrainProgress }
  | { type: 'train-checkpoint'; id: number; checkpoint: Checkpoint }
  | { type: 'train-done'; id: number; outcome: TrainOutcome }
  | { type: 'train-error'; id: number; message: string; aborted: boolean };
