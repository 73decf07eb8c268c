import type { LoadedDataset } from './data/types';
import { JobQueue } from './job-queue';
import { trainRun, type TrainHooks } from './trainer';
import type { TrainJob, TrainOutcome } from './types';

/** Where training runs happen: in this process, or in a pool of worker processes (one per core). */
export interface Executor {
  readonly concurrency: number;
  run(job: TrainJob, priority: number, hooks: TrainHooks): Promise<TrainOutcome>;
  close(): Promise<void>;
}

/** One run at a time in this process: what the CLI and tests use, and the reference for determinism. */
export function inlineExecutor(data: LoadedDataset): Executor {
  const queue = new JobQueue(1);
  return {
    concurrency: 1,
    run: (job, priority, hooks) => queue.schedule(priority, () => trainRun(job, data, hooks)),
    close: async () => {},
  };
}
