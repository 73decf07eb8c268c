import { Command, InvalidArgumentError } from 'commander';
import { VariantSchema } from '../../../shared/spec';
import {
  FigureOptionError,
  parseFigure,
  parseFormats,
  parseRounds,
  parseVariants,
  parseWidth,
  splitList,
  type ExportFormat,
  type FigureKind,
  type MaskInput,
} from '../../../shared/figures';
import type { Variant } from '../../../shared/spec';
import { exportFigures } from '../../export';
import { createLabServices } from '../../services';
import { CliError } from '../errors';

/**
 * `lth export`: paper figures and tables from stored results, DIR/<figure>.<format> per format.
 * The drawing lives in src/main/export (exportFigures) so the window and the browser mode share it.
 */
export interface ExportDeps {
  createLabServices: typeof createLabServices;
  exportFigures: typeof exportFigures;
  /** Where the written paths go, one a line. */
  print: (line: string) => void;
}

const defaults = (): ExportDeps => ({
  createLabServices,
  exportFigures,
  print: (line) => void process.stdout.write(`${line}\n`),
});

/** Commander reports an InvalidArgumentError as one line naming the option. */
function parser<T>(parse: (v: string) => T): (v: string) => T {
  return (v) => {
    try {
      return parse(v);
    } catch (e) {
      if (e instanceof FigureOptionError) throw new InvalidArgumentError(e.message);
      throw e;
    }
  };
}

interface ExportFlags {
  experiment?: string;
  figure: FigureKind;
  rounds?: number[];
  variants?: Variant[];
  ticket?: string;
  format: ExportFormat[];
  width: number;
  out: string;
  dpi: number;
}

export function exportCommand(deps: Partial<ExportDeps> = {}): Command {
  const d = { ...defaults(), ...deps };
  return new Command('export')
    .description('write paper figures (vector SVG/PDF, 300 dpi PNG), their data as CSV and the results table as LaTeX/Markdown')
    .option('--experiment <ids>', 'experiment id, or several comma-separated to compare them in one figure')
    .requiredOption('--figure <kind>', 'accuracy | early-stop | curves | layers | mask', parser(parseFigure))
    .option('--rounds <list>', 'rounds to show, e.g. 0,3,5 or 0-4 (curves and layers pick a few when absent)', parser(parseRounds))
    .option('--variants <list>', `variants to show, of ${VariantSchema.options.join(',')} (default: all that ran; with random and shuffle asked together, 'random' is the one run of both)`, parser(parseVariants))
    .option('--ticket <id>', 'ticket whose mask the mask figure shows')
    .option('--format <list>', 'svg,pdf,png,csv,tex,md', parser(parseFormats), parseFormats('svg,pdf,png,csv'))
    .option('--width <size>', 'physical width: 3.5in (single column), 7in (double), or mm/cm such as 89mm', parser(parseWidth), 3.5)
    .option('--dpi <n>', 'PNG resolution', parser(parseDpi), 300)
    .option('--out <dir>', 'output folder', '.')
    .action(async (_opts: ExportFlags, cmd: Command) => {
      const g = cmd.optsWithGlobals<ExportFlags & { db?: string }>();
      const ids = g.experiment === undefined ? [] : splitList(g.experiment);
      if (g.experiment !== undefined && ids.length === 0) throw new CliError('--experiment is empty: give an experiment id, or several separated by commas');
      if (g.figure === 'mask' && !g.ticket) throw new CliError('the mask figure needs --ticket ID');
      if (g.figure !== 'mask' && ids.length === 0) throw new CliError(`the ${g.figure} figure needs --experiment ID[,ID...]`);

      const services = await d.createLabServices({ dbPath: g.db });
      try {
        const details = ids.map((id) => services.experiments.get(id));
        let mask: MaskInput | undefined;
        if (g.figure === 'mask' && g.ticket) {
          const ticket = services.tickets.get(g.ticket);
          mask = { ...services.tickets.pixelHeatmap(g.ticket), ticket };
        }
        const written = await d.exportFigures(details, {
          figure: g.figure,
          formats: g.format,
          widthInches: g.width,
          outDir: g.out,
          rounds: g.rounds,
          variants: g.variants,
          mask,
          dpi: g.dpi,
        });
        for (const p of written) d.print(p);
      } catch (e) {
        if (e instanceof FigureOptionError) throw new CliError(e.message);
        throw e;
      } finally {
        services.close();
      }
    });
}

function parseDpi(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 72 || n > 2400) throw new FigureOptionError(`invalid resolution "${v}": a whole number of dpi from 72 to 2400`);
  return n;
}
