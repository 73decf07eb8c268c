import type { ExperimentDetail, ExperimentSummary } from '../../src/shared/results';
import type { SlurmExperimentInfo, SlurmTrialInfo } from '../../src/shared/slurm';
import { experimentDetail, experimentSummary, run } from '../contract/fixtures';

/**
 * A Slurm experiment as the services describe it (src/main/slurm slurmInfo): six trials, one in each state the
 * panel words differently, resubmitted once. For the component tests and the Chromium screenshots.
 */
const PLANNED = 7;
const trial = (t: number, state: SlurmTrialInfo['state'], slurmState: string | null, runsSynced: number, job: string | null, detail: string | null = null, error: string | null = null): SlurmTrialInfo => ({
  trial: t,
  state,
  slurmState,
  jobId: job ? `${job}_${t}` : null,
  detail,
  error,
  runsSynced,
  runsPlanned: PLANNED,
});

export const slurmInfo: SlurmExperimentInfo = {
  folder: '/scratch/lab42/lth/e_slurm1',
  jobScript: '/scratch/lab42/lth/e_slurm1/job.sbatch',
  jobs: ['48213', '48290'],
  trials: [
    trial(0, 'completed', 'COMPLETED', 7, '48213'),
    trial(1, 'running', 'RUNNING', 3, '48213'),
    trial(2, 'pending', 'PENDING', 0, '48290', 'Priority'),
    trial(3, 'failed', 'OUT_OF_MEMORY', 2, '48213', 'exit 0:125', 'slurmstepd: error: Detected 1 oom_kill event in StepId=48213.batch. Some of the step tasks have been OOM Killed.'),
    trial(4, 'cancelled', 'CANCELLED', 1, '48213', 'exit 0:15'),
    trial(5, 'timeout', 'TIMEOUT', 4, '48213', 'exit 0:1'),
  ],
  checkedAt: '2026-12-01T22:41:07.000Z',
  syncedAt: '2026-12-01T22:41:08.000Z',
};

export function slurmExperiment(status: ExperimentSummary['status'] = 'running', info: SlurmExperimentInfo = slurmInfo): { summary: ExperimentSummary; detail: ExperimentDetail } {
  const summary: ExperimentSummary = {
    ...experimentSummary,
    id: 'e_slurm1',
    name: 'LeNet on the cluster',
    status,
    finishedAt: status === 'completed' ? experimentSummary.finishedAt : null,
    roundsDone: 2,
    roundsPlanned: 3,
  };
  const runs = info.trials.flatMap((t) => [run('ticket', 0, 0.95, t.trial), run('ticket', 1, 0.951, t.trial), run('reinit', 1, 0.94, t.trial), run('ticket', 2, 0.952, t.trial), run('reinit', 2, 0.93, t.trial), run('ticket', 3, 0.949, t.trial), run('reinit', 3, 0.92, t.trial)].slice(0, t.runsSynced));
  const detail: ExperimentDetail = { ...experimentDetail, ...summary, spec: { ...experimentDetail.spec, trials: info.trials.length }, runs, slurm: info };
  return { summary, detail };
}
