import { spawnSync } from 'node:child_process';
import type { SlurmTaskState } from '../../shared/slurm';

/**
 * The only way LTH Lab talks to Slurm: its own client commands (sbatch, scontrol, scancel) on this machine,
 * which must be a login node of the cluster (SLURM_CONF and munge as for any user of it). No daemon of ours.
 */
export class SlurmError extends Error {
  override name = 'SlurmError';
}

const TIMEOUT_MS = 30_000;

function slurmCommand(cmd: string, args: string[], timeoutMs = TIMEOUT_MS): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new SlurmError(`${cmd} not found: this machine is not a Slurm login node (install slurm-client, or run lth where sbatch works)`);
    if (code === 'ETIMEDOUT') throw new SlurmError(`${cmd} did not answer within ${timeoutMs / 1000} s: is slurmctld reachable (SLURM_CONF=${process.env.SLURM_CONF ?? 'default'})?`);
    throw new SlurmError(`${cmd} failed: ${r.error.message}`);
  }
  return { status: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** Submits a job script; `array` overrides its #SBATCH --array. Returns the array job id. */
export function sbatch(script: string, array?: readonly number[]): string {
  const args = ['--parsable'];
  if (array) args.push(`--array=${array.join(',')}`);
  args.push(script);
  const r = slurmCommand('sbatch', args);
  const id = r.stdout.trim().split(';')[0] ?? '';
  if (r.status !== 0 || !/^\d+$/.test(id)) throw new SlurmError(`sbatch ${args.join(' ')} failed: ${(r.stderr || r.stdout).trim() || `exit ${r.status}`}`);
  return id;
}

export function scancel(jobId: string): void {
  const r = slurmCommand('scancel', [jobId]);
  if (r.status !== 0) throw new SlurmError(`scancel ${jobId} failed: ${(r.stderr || r.stdout).trim()}`);
}

export interface TaskStatus {
  arrayJobId: string;
  taskId: number;
  slurmState: string;
  state: SlurmTaskState;
  reason: string | null;
  exitCode: string | null;
}

export function mapState(s: string): SlurmTaskState {
  switch (s) {
    case 'PENDING':
    case 'REQUEUED':
    case 'REQUEUE_HOLD':
    case 'REQUEUE_FED':
    case 'RESV_DEL_HOLD':
      return 'pending';
    case 'RUNNING':
    case 'CONFIGURING':
    case 'COMPLETING':
    case 'SUSPENDED':
    case 'STAGE_OUT':
    case 'SIGNALING':
    case 'STOPPED':
    case 'RESIZING':
      return 'running';
    case 'COMPLETED':
      return 'completed';
    case 'CANCELLED':
      return 'cancelled';
    case 'TIMEOUT':
    case 'DEADLINE':
      return 'timeout';
    case 'PREEMPTED':
      return 'preempted';
    case 'NODE_FAIL':
    case 'BOOT_FAIL':
      return 'node-fail';
    case 'FAILED':
    case 'OUT_OF_MEMORY':
    case 'SPECIAL_EXIT':
      return 'failed';
    default:
      return 'unknown';
  }
}

/** "0-3,5,7-9%2" -> [0,1,2,3,5,7,8,9] */
export function parseTaskIds(s: string): number[] {
  const out: number[] = [];
  for (const part of s.replace(/%\d+$/, '').split(',')) {
    const m = /^(\d+)(?:-(\d+))?(?::(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    const step = m[3] === undefined ? 1 : Number(m[3]);
    for (let i = a; i <= b && out.length < 100_000; i += step) out.push(i);
  }
  return out;
}

/** `scontrol show job -o` output, one record per line; pending array tasks may share one record (ArrayTaskId=0-3). */
export function parseScontrol(text: string): TaskStatus[] {
  const out: TaskStatus[] = [];
  for (const lineText of text.split('\n')) {
    const field = (k: string) => new RegExp(`(?:^|\\s)${k}=(\\S*)`).exec(lineText)?.[1] ?? null;
    const arrayJobId = field('ArrayJobId');
    const tasks = field('ArrayTaskId');
    const slurmState = field('JobState');
    if (!arrayJobId || !tasks || !slurmState) continue;
    const reason = field('Reason');
    const exitCode = field('ExitCode');
    for (const taskId of parseTaskIds(tasks)) {
      out.push({
        arrayJobId,
        taskId,
        slurmState,
        state: mapState(slurmState),
        reason: reason && reason !== 'None' ? reason : null,
        exitCode: exitCode && exitCode !== '0:0' ? exitCode : null,
      });
    }
  }
  return out;
}

/**
 * Per array task state of one array job, from the controller (no accounting database needed). Finished tasks
 * stay visible for MinJobAge seconds (300 by default); an empty list means Slurm no longer knows the job.
 */
export function arrayJobStatus(arrayJobId: string): TaskStatus[] {
  // Status reads are frequent (windows, sync --wait): a shorter timeout than submissions.
  const r = slurmCommand('scontrol', ['show', 'job', '-o', arrayJobId], 10_000);
  if (r.status !== 0) {
    if (/Invalid job id/i.test(r.stderr)) return [];
    throw new SlurmError(`scontrol show job ${arrayJobId} failed: ${(r.stderr || r.stdout).trim()}`);
  }
  return parseScontrol(r.stdout);
}
