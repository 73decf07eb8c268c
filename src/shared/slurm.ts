/**
 * What the lab shows of an experiment whose trials run as a Slurm job array (one array task per trial).
 * States come from the cluster (`scontrol show job`, no accounting needed); results from `lth sync`.
 */
export type SlurmTaskState = 'submitted' | 'pending' | 'running' | 'completed' | 'failed' | 'cancelled' | 'timeout' | 'unknown' | 'not-submitted';

export interface SlurmTrialInfo {
  trial: number;
  state: SlurmTaskState;
  /** Slurm's own word (PENDING, RUNNING, CANCELLED, OUT_OF_MEMORY...), null before any submission. */
  slurmState: string | null;
  /** `<array job id>_<trial>` of the latest submission of this trial; null before any. */
  jobId: string | null;
  /** Slurm's Reason or ExitCode when it says something. */
  detail: string | null;
  /** Runs of this trial merged into the local store, and how many the spec plans. */
  runsSynced: number;
  runsPlanned: number;
}

export interface SlurmExperimentInfo {
  /** The experiment folder on the shared filesystem: job script, experiment.json, one SQLite file per task, logs. */
  folder: string;
  jobScript: string;
  /** Array job ids, oldest first (the first submission, then each `lth resume`). */
  jobs: string[];
  trials: SlurmTrialInfo[];
  /** When the states above were read from Slurm, and when results were last merged (ISO times). */
  checkedAt: string | null;
  syncedAt: string | null;
}
