import { Command, Option } from 'commander';
import path from 'node:path';
import type { SlurmExperimentInfo } from '../../../shared/slurm';
import type { ExperimentSpecInput } from '../../../shared/spec';
import type { BackendChoice } from '../../engine/backend';
import type { LabRuntime } from '../../services';
import {
  cancelOnSlurm,
  loadProfile,
  mergeProfiles,
  parseProfile,
  readJobScript,
  slurmInfo,
  submitNewExperiment,
  type SlurmProfile,
} from '../../slurm';
import { runSlurmTask } from '../../slurm/task';
import { printJson, withServices, type GlobalOptions } from '../context';
import { CliError } from '../errors';
import { integer } from '../parse';

export interface SlurmRunFlags {
  on?: string;
  sharedDir?: string;
  slurmProfile?: string;
  partition?: string;
  account?: string;
  qos?: string;
  time?: string;
  cpusPerTask?: number;
  gpusPerTask?: number;
  mem?: string;
  sbatch?: string[];
  submit?: boolean;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** The `lth run` flags that send an experiment to Slurm instead of training it here. */
export function addSlurmRunOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--on <where>', "where the trials train: here, or as a Slurm job array (one task per trial)").choices(['local', 'slurm']).default('local'))
    .option('--shared-dir <dir>', 'Slurm: folder on the shared filesystem every node sees; the experiment folder goes in it')
    .option('--slurm-profile <name|file>', 'Slurm: a profile from <data dir>/slurm-profiles.json, or a JSON file; flags override its fields')
    .option('--partition <name>', 'Slurm: partition')
    .option('--account <name>', 'Slurm: account')
    .option('--qos <name>', 'Slurm: quality of service')
    .option('--time <limit>', 'Slurm: time limit per task (minutes or [D-]HH:MM:SS)')
    .option('--cpus-per-task <n>', 'Slurm: CPUs per task (more than 1 trains the controls beside the ticket runs)', integer)
    .option('--gpus-per-task <n>', 'Slurm: GPUs per task', integer)
    .option('--mem <size>', 'Slurm: memory per task, e.g. 8G')
    .option('--sbatch <line>', 'Slurm: one more #SBATCH line, e.g. --sbatch "--constraint=a100" (repeatable)', collect)
    .option('--no-submit', 'Slurm: write the experiment folder and job script, submit nothing (lth resume ID submits)');
}

export function profileFromFlags(flags: SlurmRunFlags, dataDir: string): SlurmProfile {
  const fromFile = flags.slurmProfile ? loadProfile(flags.slurmProfile, dataDir) : undefined;
  const fromFlags = parseProfile(
    {
      sharedDir: flags.sharedDir ? path.resolve(flags.sharedDir) : undefined,
      partition: flags.partition,
      account: flags.account,
      qos: flags.qos,
      time: flags.time,
      cpusPerTask: flags.cpusPerTask,
      gpusPerTask: flags.gpusPerTask,
      mem: flags.mem,
      sbatch: flags.sbatch,
    },
    'slurm flags',
  );
  return mergeProfiles(fromFile, fromFlags);
}

/** `lth run … --on slurm`: stores the experiment, writes its folder and job script, submits the job array. */
export async function runOnSlurm(services: LabRuntime, spec: ExperimentSpecInput, flags: SlurmRunFlags & { json?: boolean }, cmd: Command): Promise<void> {
  const store = services.store;
  const profile = profileFromFlags(flags, store.dataDir);
  if (!profile.sharedDir) throw new CliError('--on slurm needs --shared-dir DIR (or sharedDir in the profile): a folder every node of the cluster sees');
  const backend = ((cmd.optsWithGlobals() as GlobalOptions).backend ?? 'auto') as BackendChoice;
  // Stored straight in the store, not through the queue: nothing of it trains in this process.
  const r = submitNewExperiment(store, spec, profile, backend, flags.submit !== false);
  const summary = store.experiments.get(r.id);
  const folder = r.folder;
  const submitted = r.jobId ? { jobId: r.jobId, trials: r.trials } : null;
  if (flags.json) {
    printJson({ experimentId: summary.id, folder, jobScript: path.join(folder, 'job.sbatch'), jobId: submitted?.jobId ?? null, trials: submitted?.trials ?? [] });
    return;
  }
  process.stdout.write(`experiment ${summary.id}: ${summary.name}\nfolder ${folder}\n`);
  if (submitted) process.stdout.write(`submitted job array ${submitted.jobId} (trials ${submitted.trials.join(',')}); bring results home with: lth sync ${summary.id}\n`);
  else process.stdout.write(`not submitted: sbatch ${path.join(folder, 'job.sbatch')}, or lth resume ${summary.id}\n`);
}

export function slurmTable(info: SlurmExperimentInfo): string {
  const rows = info.trials.map(
    (t) => `  trial ${String(t.trial).padStart(2)}  ${t.state.padEnd(13)} ${(t.jobId ?? '-').padEnd(12)} ${`${t.runsSynced}/${t.runsPlanned}`.padStart(7)} runs home${t.detail ? `  (${t.detail})` : ''}${t.error ? `\n            error: ${t.error}` : ''}`,
  );
  return [`slurm: folder ${info.folder}; jobs ${info.jobs.join(', ') || 'none yet'}; last sync ${info.syncedAt ?? 'never'}`, ...rows].join('\n');
}

export function slurmCommand(): Command {
  const cmd = new Command('slurm').description('experiments whose trials run on a Slurm cluster (see lth run --on slurm, lth sync)');
  cmd
    .command('script')
    .description("print the experiment's job script (what was, or would be, submitted) without submitting it")
    .argument('<id>', 'experiment id')
    .action(async (id: string, _o: unknown, c: Command) =>
      withServices(c, async (s) => {
        process.stdout.write(readJobScript(s.store, id));
      }),
    );
  cmd
    .command('status')
    .description('per-trial state on Slurm (pending, running, completed, failed, with job ids) and runs brought home')
    .argument('<id>', 'experiment id')
    .option('--json', 'print JSON only')
    .action(async (id: string, opts: { json?: boolean }, c: Command) =>
      withServices(c, async (s) => {
        const info = slurmInfo(s.store, id, true);
        if (!info) throw new CliError(`experiment ${id} was not sent to Slurm`, 1);
        if (opts.json) printJson(info);
        else process.stdout.write(`${slurmTable(info)}\n`);
      }),
    );
  cmd
    .command('cancel')
    .description("scancel the experiment's jobs; it becomes interrupted (lth resume ID resubmits what is missing)")
    .argument('<id>', 'experiment id')
    .action(async (id: string, _o: unknown, c: Command) =>
      withServices(c, async (s) => {
        cancelOnSlurm(s.store, id);
        process.stdout.write(`cancelled the jobs of ${id}\n`);
      }),
    );
  return cmd;
}

/** Hidden: what each array task runs on its node (see job.sbatch). */
export function slurmTaskCommand(): Command {
  return new Command('slurm-task')
    .description('(internal) run one trial of a Slurm experiment folder on this node')
    .argument('<folder>', 'the experiment folder on the shared filesystem')
    .requiredOption('--trial <n>', 'the trial (the array task id)', integer)
    .action(async (folder: string, opts: { trial: number }, c: Command) => {
      const g = c.optsWithGlobals() as GlobalOptions;
      const code = await runSlurmTask(path.resolve(folder), opts.trial, {
        backend: (g.backend ?? 'auto') as BackendChoice,
        workers: g.workers,
        workerEntry: path.join(__dirname, 'worker.js'),
      });
      process.exitCode = code;
    });
}
