import { Command } from 'commander';
import { isOnSlurm, slurmInfo, syncExperiment, type SyncReport } from '../../slurm';
import { printJson, withServices } from '../context';
import { CliError } from '../errors';
import { integer } from '../parse';
import { slurmTable } from './slurm';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `lth sync ID`: brings finished runs of a Slurm experiment home; safe to repeat (a second merge adds nothing). */
export function syncCommand(): Command {
  return new Command('sync')
    .description("merge a Slurm experiment's finished runs, masks and weights from its task files into this store (idempotent)")
    .argument('<id>', 'experiment id')
    .option('--wait', 'keep syncing until no trial is waiting or running on Slurm')
    .option('--every <seconds>', 'with --wait: seconds between syncs', integer, 10)
    .option('--json', 'print JSON only')
    .action(async (id: string, opts: { wait?: boolean; every: number; json?: boolean }, c: Command) =>
      withServices(c, async (s) => {
        if (!isOnSlurm(s.store, id)) {
          s.experiments.get(id); // not found -> its own error
          throw new CliError(`experiment ${id} was not sent to Slurm: nothing to sync`, 1);
        }
        const total = { runsAdded: 0, masksAdded: 0, weightsAdded: 0 };
        let report: SyncReport;
        for (;;) {
          report = syncExperiment(s.store, id);
          if (report.warning && !opts.json) process.stderr.write(`lth: warning: ${report.warning}\n`);
          total.runsAdded += report.runsAdded;
          total.masksAdded += report.masksAdded;
          total.weightsAdded += report.weightsAdded;
          if (!opts.json && (report.runsAdded || report.masksAdded || report.weightsAdded)) {
            process.stderr.write(`merged ${report.runsAdded} run(s), ${report.masksAdded} mask(s), ${report.weightsAdded} weight set(s); ${report.status}\n`);
          }
          if (!opts.wait || report.status !== 'running') break;
          await sleep(Math.max(1, opts.every) * 1000);
        }
        if (opts.json) {
          printJson({ ...report, ...total });
          return;
        }
        const info = slurmInfo(s.store, id);
        process.stdout.write(`${id}: ${report.status}; this sync merged ${total.runsAdded} run(s), ${total.masksAdded} mask(s), ${total.weightsAdded} weight set(s)\n`);
        if (info) process.stdout.write(`${slurmTable(info)}\n`);
        const e = s.store.experiments.get(id);
        if (e.error) process.stdout.write(`${e.error}\n`);
      }),
    );
}
