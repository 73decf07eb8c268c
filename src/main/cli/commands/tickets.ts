import { Command } from 'commander';
import type { TicketRecord } from '../../../shared/results';
import { printJson, withServices } from '../context';
import { followExperiment } from '../follow';
import { integer, list } from '../parse';

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

function line(t: TicketRecord): string {
  return `${t.id}  ${pct(t.weightsRemaining).padStart(7)} weights  test ${pct(t.testAccuracy)}  ${t.datasetId.padEnd(14)} ${t.name}${t.tags.length ? `  [${t.tags.join(', ')}]` : ''}`;
}

export function ticketsCommand(): Command {
  const cmd = new Command('tickets').description('the ticket library: saved winning tickets');
  cmd
    .command('list')
    .option('--json', 'print JSON only')
    .action(async (opts: { json?: boolean }, c: Command) =>
      withServices(c, async (s) => {
        const all = s.tickets.list();
        if (opts.json) return printJson(all);
        for (const t of all) process.stdout.write(`${line(t)}\n`);
      }),
    );
  cmd
    .command('show')
    .argument('<id>')
    .option('--json', 'print JSON only')
    .action(async (id: string, opts: { json?: boolean }, c: Command) =>
      withServices(c, async (s) => {
        const t = s.tickets.get(id);
        if (opts.json) return printJson(t);
        process.stdout.write(
          `${line(t)}\nfrom experiment ${t.experimentId || '(imported)'} trial ${t.trial} round ${t.round}\n` +
            `per layer: ${t.layerDensity.map((d) => pct(d)).join(', ')}\nval ${pct(t.valAccuracy)}, trained weights ${t.hasTrainedWeights ? 'stored' : 'not stored'}\n` +
            (t.notes ? `notes: ${t.notes}\n` : ''),
        );
      }),
    );
  cmd
    .command('save')
    .description('keep the ticket of a finished round in the library')
    .argument('<experiment>', 'experiment id')
    .requiredOption('--round <n>', 'round', integer)
    .option('--trial <n>', 'trial', integer, 0)
    .option('--name <text>', 'ticket name')
    .option('--json', 'print JSON only')
    .action(async (experiment: string, opts: { round: number; trial: number; name?: string; json?: boolean }, c: Command) =>
      withServices(c, async (s) => {
        const t = s.tickets.save(experiment, opts.trial, opts.round, opts.name);
        if (opts.json) printJson(t);
        else process.stdout.write(`saved ${line(t)}\n`);
      }),
    );
  cmd
    .command('update')
    .description('rename a ticket, set its notes or tags')
    .argument('<id>')
    .option('--name <text>')
    .option('--notes <text>')
    .option('--tags <list>', 'comma-separated tags (replaces the current ones)', list)
    .option('--json', 'print JSON only')
    .action(async (id: string, opts: { name?: string; notes?: string; tags?: string[]; json?: boolean }, c: Command) =>
      withServices(c, async (s) => {
        const t = s.tickets.update(id, { name: opts.name, notes: opts.notes, tags: opts.tags });
        if (opts.json) printJson(t);
        else process.stdout.write(`${line(t)}\n`);
      }),
    );
  cmd
    .command('delete')
    .argument('<id>')
    .option('--json', 'print JSON only')
    .action(async (id: string, opts: { json?: boolean }, c: Command) =>
      withServices(c, async (s) => {
        s.tickets.delete(id);
        if (opts.json) printJson({ deleted: id });
        else process.stdout.write(`deleted ${id}\n`);
      }),
    );
  cmd
    .command('export')
    .description('write a ticket as a folder: TensorFlow.js model (model.json + weights.bin), mask, rewind weights')
    .argument('<id>')
    .requiredOption('--out <dir>', 'folder to create')
    .option('--json', 'print JSON only')
    .action(async (id: string, opts: { out: string; json?: boolean }, c: Command) =>
      withServices(c, async (s) => {
        const folder = await s.tickets.export(id, opts.out);
        if (opts.json) printJson({ ticketId: id, folder });
        else process.stdout.write(`exported ${id} to ${folder}\n`);
      }),
    );
  cmd
    .command('import')
    .description('add an exported ticket folder to the library')
    .argument('<dir>')
    .option('--json', 'print JSON only')
    .action(async (dir: string, opts: { json?: boolean }, c: Command) =>
      withServices(c, async (s) => {
        const t = await s.tickets.import(dir);
        if (opts.json) printJson(t);
        else process.stdout.write(`imported ${line(t)}\n`);
      }),
    );
  cmd
    .command('retrain')
    .description('retrain a ticket (with its controls) on its dataset or transfer it to another of the same input shape')
    .argument('<id>')
    .option('--dataset <id>', 'target dataset (transfer)')
    .option('--controls <list>', "reinit,random or 'none'", list)
    .option('--iterations <n>', 'training iterations', integer)
    .option('--trials <n>', 'trials', integer)
    .option('--json', 'print one JSON object with the results on stdout at the end')
    .action(async (id: string, opts: { dataset?: string; controls?: string[]; iterations?: number; trials?: number; json?: boolean }, c: Command) =>
      withServices(c, async (s) => {
        const controls = opts.controls?.filter((x) => x !== 'none') as ('reinit' | 'random')[] | undefined;
        const e = s.tickets.retrain({ ticketId: id, datasetId: opts.dataset, controls, iterations: opts.iterations, trials: opts.trials });
        if (!opts.json) process.stderr.write(`experiment ${e.id}: ${e.name}\n`);
        await followExperiment(s, e.id, Boolean(opts.json));
      }, true),
    );
  return cmd;
}
