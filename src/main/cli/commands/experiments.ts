import { Command } from 'commander';
import type { ExperimentSummary } from '../../../shared/results';
import { printJson, withServices } from '../context';
import { earlyBirdLines, resultsTable, stabilityTable, winningTicketLine } from '../table';
import { slurmTable } from './slurm';

const kb = (bytes: number) => (bytes > 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${(bytes / 1024).toFixed(0)} kB`);

function line(e: ExperimentSummary, why = true): string {
  const win = e.winningTicket ? `ticket ${(e.winningTicket.weightsRemaining * 100).toFixed(1)}%` : 'no ticket';
  // The list says why an experiment failed (show prints its error on a line of its own).
  const reason = why && e.status === 'failed' && e.error ? `  (${e.error.split('\n')[0]})` : '';
  return `${e.id}  ${e.status.padEnd(11)} ${`${e.roundsDone}/${e.roundsPlanned}`.padStart(5)} ${e.roundsPlanned === 1 ? 'round ' : 'rounds'}  ${win.padEnd(13)} ${kb(e.diskBytes).padStart(8)}  ${e.name}${reason}`;
}

export function experimentsCommand(): Command {
  const cmd = new Command('experiments').description('stored experiments');
  cmd
    .command('list')
    .option('--json', 'print JSON only')
    .action(async (opts: { json?: boolean }, c: Command) =>
      withServices(c, async (s) => {
        const all = s.experiments.list();
        if (opts.json) return printJson(all);
        for (const e of all) process.stdout.write(`${line(e)}\n`);
      }),
    );
  cmd
    .command('show')
    .description('results, winning ticket, spec and versions; --json prints what `lth run --spec` re-runs')
    .argument('<id>')
    .option('--json', 'print JSON only')
    .action(async (id: string, opts: { json?: boolean }, c: Command) =>
      withServices(c, async (s) => {
        const d = s.experiments.get(id);
        if (opts.json) return printJson(d);
        process.stdout.write(
          [
            line(d, false),
            `dataset ${d.datasetId} (sha256 ${d.datasetHash.slice(0, 16)}…), backend ${d.backend ?? '-'}, LTH Lab ${d.versions.lthLab}, TensorFlow.js ${d.versions.tfjs}`,
            `spec hash ${d.specHash.slice(0, 16)}…; layers ${d.layers.map((l) => `${l.name} ${l.shape.join('x')}`).join(', ')}`,
            d.error ? `error: ${d.error}` : '',
            '',
            // An instability analysis has copy pairs, not rounds: its barrier table is its result.
            d.stability ? (d.stability.summary.length ? stabilityTable(d) : 'no finished starting point yet') : d.runs.length ? resultsTable(d) : 'no finished runs yet',
            '',
            d.stability ? '' : winningTicketLine(d.winningTicket, d.winningTicketReason),
            d.spec.earlyBird ? earlyBirdLines(d) : '',
          ]
            .filter((l, i) => l !== '' || i > 3)
            .join('\n') + '\n' + (d.slurm ? `\n${slurmTable(d.slurm)}\n` : ''),
        );
      }),
    );
  cmd
    .command('delete')
    .description('delete an experiment and free its storage (saved tickets are kept)')
    .argument('<id>')
    .option('--json', 'print JSON only')
    .action(async (id: string, opts: { json?: boolean }, c: Command) =>
      withServices(c, async (s) => {
        const before = s.experiments.list().find((e) => e.id === id)?.diskBytes ?? 0;
        s.experiments.delete(id);
        if (opts.json) printJson({ deleted: id, freedBytes: before });
        else process.stdout.write(`deleted ${id}, freed ${kb(before)}\n`);
      }),
    );
  return cmd;
}
