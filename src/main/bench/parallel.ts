import { join } from 'node:path';
import { BUILTIN_MNIST_REF, loadDataset } from '../engine/data';
import { processPoolExecutor } from '../engine/pool-executor';
import type { TrainJob } from '../engine/types';
import { distDir } from './child';
import { benchSpec, maskedJob } from './networks';

export interface ParallelResult {
  jobs: number;
  iterationsPerJob: number;
  processes: number;
  sequentialMs: number;
  parallelMs: number;
  sequentialStepsPerSec: number;
  parallelStepsPerSec: number;
  speedup: number;
}

async function timeWith(size: number, jobs: TrainJob[], warm: TrainJob, backend: string): Promise<number> {
  const ex = processPoolExecutor({ size, entry: join(distDir(), 'worker.js'), dataset: BUILTIN_MNIST_REF, backend });
  try {
    // Start every process and load its dataset before timing: the same fixed cost either way.
    await Promise.all(Array.from({ length: size }, () => ex.run(warm, 0, {})));
    const t0 = performance.now();
    await Promise.all(jobs.map((j) => ex.run(j, 0, {})));
    return performance.now() - t0;
  } finally {
    await ex.close();
  }
}

/**
 * Independent runs (as the trials and controls of an experiment are) through processPoolExecutor: `jobs`
 * masked LeNet-300-100 runs with 1 process (one after another) and with 2, alternated `repeats` times;
 * each keeps its best time. Runs include their evaluations (start and end, 5000 val + 10000 test).
 */
export async function parallelThroughput(opts: { quick: boolean; backend: string; processes: number }): Promise<ParallelResult> {
  const data = loadDataset(BUILTIN_MNIST_REF);
  const iterations = opts.quick ? 200 : 1500;
  const nJobs = 2 * opts.processes;
  const spec = benchSpec('lenet300', { iterations, validationSize: 5000 });
  const jobs = Array.from({ length: nJobs }, (_, t) => maskedJob(spec, data, t));
  const warm = maskedJob(benchSpec('lenet300', { iterations: 1, validationSize: 1 }), data, 0);
  const repeats = opts.quick ? 1 : 2;
  let seq = Infinity;
  let par = Infinity;
  for (let r = 0; r < repeats; r++) {
    seq = Math.min(seq, await timeWith(1, jobs, warm, opts.backend));
    par = Math.min(par, await timeWith(opts.processes, jobs, warm, opts.backend));
  }
  const steps = nJobs * iterations;
  return {
    jobs: nJobs,
    iterationsPerJob: iterations,
    processes: opts.processes,
    sequentialMs: Math.round(seq),
    parallelMs: Math.round(par),
    sequentialStepsPerSec: Number(((steps * 1000) / seq).toFixed(1)),
    parallelStepsPerSec: Number(((steps * 1000) / par).toFixed(1)),
    speedup: Number((seq / par).toFixed(2)),
  };
}
