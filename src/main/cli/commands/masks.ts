import { Command } from 'commander';
import { overlapMatrix } from '../../services/masks';
import { exportFigures } from '../../export';
import { parseFormats, parseWidth } from '../../../shared/figures';
import { printJson, withServices } from '../context';
import { CliError } from '../errors';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function matrix(values: number[][]): string {
  const names = values.map((_, i) => `[${i + 1}]`);
  const rows = [['', ...names], ...values.map((row, i) => [names[i]!, ...row.map(pct)])];
  const w = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((c, j) => c.padStart(w[j]!)).join('  ')).join('\n');
}

export function masksCommand(): Command {
  const overlap = new Command('overlap')
    .description('how alike stored masks are: normalised Hamming distance and IoU of the kept weights, per layer and overall')
    .argument('<masks...>', 'two or more masks: ticket:ID (or a ticket id) or experiment:ID:TRIAL:ROUND')
    .option('--json', 'print JSON only: the matrices, overall and per layer')
    .option('--out <dir>', 'also write the overlap heat map there (overlap.svg, .pdf, .png, .csv)')
    .option('--format <list>', 'formats for --out (default svg,pdf,png,csv)', 'svg,pdf,png,csv')
    .option('--width <w>', 'figure width for --out, e.g. 3.5in', '3.5in')
    .action(async (refs: string[], opts: { json?: boolean; out?: string; format: string; width: string }, cmd: Command) => {
      if (refs.length < 2) throw new CliError('masks overlap: give at least two masks');
      await withServices(cmd, async (services) => {
        const m = overlapMatrix(services.store, refs);
        const written = opts.out
          ? await exportFigures([], { figure: 'overlap', formats: parseFormats(opts.format), widthInches: parseWidth(opts.width), outDir: opts.out, overlap: m })
          : [];
        if (opts.json) return printJson(opts.out ? { ...m, files: written } : m);
        for (const f of written) process.stderr.write(`wrote ${f}\n`);
        const legend = m.masks.map((x, i) => `[${i + 1}] ${x.label} (${x.ref})`).join('\n');
        process.stdout.write(`${legend}\n\nIoU of the kept weights (1 = identical)\n${matrix(m.iou)}\n\nHamming distance (fraction of positions that differ)\n${matrix(m.hamming)}\n`);
      });
    });
  return new Command('masks').description('mask analytics').addCommand(overlap);
}
