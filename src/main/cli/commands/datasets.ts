import { Argument, Command } from 'commander';
import type { DatasetInfo } from '../../../shared/results';
import { printJson, withServices } from '../context';

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

function describe(d: DatasetInfo): string {
  return [
    `${d.name} (${d.id})`,
    `  source       ${d.source}`,
    `  shape        ${d.shape.join('x')}, ${d.numClasses} classes: ${d.classNames.join(', ')}`,
    `  train/test   ${d.trainCount} / ${d.testCount}`,
    `  train counts ${d.trainClassCounts.join(' ')}`,
    `  test counts  ${d.testClassCounts.join(' ')}`,
    `  sha256       ${d.hash}`,
    `  disk         ${mb(d.diskBytes)}`,
  ].join('\n');
}

export function datasetsCommand(): Command {
  const cmd = new Command('datasets').description('built-in and imported datasets');
  cmd
    .command('list')
    .description('list datasets')
    .option('--json', 'print JSON only')
    .action(async (opts: { json?: boolean }, c: Command) =>
      withServices(c, async (s) => {
        const all = s.datasets.list();
        if (opts.json) return printJson(all);
        for (const d of all) process.stdout.write(`${d.id.padEnd(28)} ${d.name.padEnd(20)} ${d.shape.join('x').padEnd(9)} ${String(d.trainCount).padStart(6)} train ${String(d.testCount).padStart(6)} test  ${d.hash.slice(0, 12)}\n`);
      }),
    );
  cmd
    .command('show')
    .description('show a dataset: classes, counts, content hash')
    .argument('<id>')
    .option('--json', 'print JSON only')
    .action(async (id: string, opts: { json?: boolean }, c: Command) =>
      withServices(c, async (s) => {
        const d = s.datasets.get(id);
        if (opts.json) printJson(d);
        else process.stdout.write(`${describe(d)}\n`);
      }),
    );
  cmd
    .command('import')
    .description('copy a dataset folder into the data directory (IDX files raw or .gz, or the CIFAR-10 binary version)')
    .addArgument(new Argument('<kind>', 'folder format').choices(['idx', 'cifar10']))
    .argument('<folder>', 'folder holding the files')
    .option('--name <name>', 'display name (its slug becomes the id)')
    .option('--json', 'print JSON only')
    .action(async (kind: 'idx' | 'cifar10', folder: string, opts: { name?: string; json?: boolean }, c: Command) =>
      withServices(c, async (s) => {
        const d = await s.datasets.import(kind, folder, opts.name);
        if (opts.json) printJson(d);
        else process.stdout.write(`imported ${d.id}\n${describe(d)}\n`);
      }),
    );
  return cmd;
}
