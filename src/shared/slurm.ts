import { z } from 'zod';
import { ExperimentSpecSchema } from './spec';

/**
 * What the lab shows of an experiment whose trials run as a Slurm job array (one array task per trial).
 * States come from the cluster (`scontrol show job`, no accounting needed); results from `lth sync`.
 */
export type SlurmTaskState = 'submitted' | 'pending' | 'running' | 'completed' | 'failed' | 'cancelled' | 'timeout' | 'preempted' | 'node-fail' | 'unknown' | 'not-submitted';

/**
 * Tasks that Slurm stopped (scancel, the time limit, preemption, a node that failed or did not boot) rather than ones
 * that exited with an error: their experiment is interrupted, not failed, and resuming them is the expected next step.
 */
export const STOPPED_BY_SLURM: readonly SlurmTaskState[] = ['cancelled', 'timeout', 'preempted', 'node-fail'];

export interface SlurmTrialInfo {
  trial: number;
  state: SlurmTaskState;
  /** Slurm's own word (PENDING, RUNNING, CANCELLED, OUT_OF_MEMORY...), null before any submission. */
  slurmState: string | null;
  /** `<array job id>_<trial>` of the latest submission of this trial; null before any. */
  jobId: string | null;
  /** Slurm's Reason or ExitCode when it says something. */
  detail: string | null;
  /** A failed task's last error line (its own store's error, else the last error in logs/slurm-<job>.out). */
  error: string | null;
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

/** One line of a job script: no line breaks (they would smuggle shell commands into the script). */
const line = z.string().min(1).max(1000).refine((s) => !/[\r\n\0]/.test(s), 'must be one line');
/** A value written after `#SBATCH --x=`: no spaces, quotes, $ or ; either. */
const word = z.string().min(1).max(200).regex(/^[^\s'"`$\\;]+$/, 'must be one word without spaces, quotes or $');
const absolute = line.refine((p) => p.startsWith('/'), 'must be an absolute path on the cluster');

/** The resources of each array task: what a window may ask for (no free-form shell or #SBATCH lines). */
export const SlurmResourcesSchema = z
  .object({
    /** The experiment folder goes under this directory, which every node must see (the shared filesystem). */
    sharedDir: absolute.optional(),
    partition: word.optional(),
    account: word.optional(),
    qos: word.optional(),
    /** Per task: minutes, MM:SS, HH:MM:SS or D-HH[:MM[:SS]]. */
    time: z.string().regex(/^(\d+|\d+:\d{2}|\d+:\d{2}:\d{2}|\d+-\d{1,2}(:\d{2}){0,2})$/, 'use minutes, MM:SS, HH:MM:SS or D-HH[:MM[:SS]]').optional(),
    cpusPerTask: z.number().int().min(1).max(1024).optional(),
    gpusPerTask: z.number().int().min(0).max(64).optional(),
    /** Memory per task, e.g. 8G or 16000M. */
    mem: z.string().regex(/^\d+[KMGT]?$/i, 'use e.g. 8G or 16000M').optional(),
  })
  .strict();

/**
 * A profile adds what only the machine's owner writes (in <data dir>/slurm-profiles.json or a file given to the
 * CLI): extra #SBATCH lines, shell setup lines, how to start lth on the nodes, the backend there.
 */
export const SlurmProfileSchema = SlurmResourcesSchema.extend({
  /** More #SBATCH lines, written as given ("--constraint=a100" or "#SBATCH --constraint=a100"). */
  sbatch: z.array(line).max(64).optional(),
  /** Shell lines run on the node before lth, e.g. "module load nodejs/20". */
  setup: z.array(line).max(64).optional(),
  /** How to start lth on the node; default: this installation's node and bin/lth.js (fine when the cluster sees it). */
  lth: line.optional(),
  /** TensorFlow.js backend on the nodes; default: the lab's own --backend. */
  backend: z.enum(['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu']).optional(),
}).strict();
export type SlurmProfile = z.infer<typeof SlurmProfileSchema>;

/** `slurm.submit`: a new experiment whose trials run as a job array; `profile` names one in slurm-profiles.json. */
export const SlurmSubmitSchema = z
  .object({
    spec: ExperimentSpecSchema,
    profile: z.string().min(1).max(100).regex(/^[\w.-]+$/, 'a profile name from slurm-profiles.json').optional(),
    resources: SlurmResourcesSchema.optional(),
  })
  .strict();
export type SlurmSubmitRequest = z.input<typeof SlurmSubmitSchema>;

/** What one `lth sync` pass did. */
export interface SlurmSyncSummary {
  experimentId: string;
  status: 'queued' | 'running' | 'paused' | 'completed' | 'interrupted' | 'failed' | 'cancelled';
  runsAdded: number;
  masksAdded: number;
  weightsAdded: number;
  /** Set when Slurm could not be asked (results were merged all the same). */
  warning: string | null;
}
