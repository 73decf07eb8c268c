import { Command } from 'commander';
import { PRESETS } from '../../../shared/presets';
import { printJson } from '../context';

export function presetsCommand(): Command {
  return new Command('presets')
    .description("the paper's networks and hyperparameters")
    .option('--json', 'print JSON only')
    .action((opts: { json?: boolean }) => {
      if (opts.json) return printJson(PRESETS);
      for (const p of PRESETS) process.stdout.write(`${p.id.padEnd(16)} ${p.title}\n${' '.repeat(17)}${p.description}\n`);
    });
}
