import { Command, CommanderError, Option } from 'commander';
import { analyzeCommand } from './commands/analyze';
import { masksCommand } from './commands/masks';
import { benchCommand } from './commands/bench';
import { doctorCommand } from './commands/doctor';
import { BACKEND_CHOICES } from '../engine/backend';
import { PACK_CHOICES } from '../engine/packed/policy';
import { LTH_LAB_VERSION } from '../services/version';
import { datasetsCommand } from './commands/datasets';
import { experimentsCommand } from './commands/experiments';
import { exportCommand } from './commands/export';
import { presetsCommand } from './commands/presets';
import { resumeCommand, runCommand } from './commands/run';
import { serveCommand } from './commands/serve';
import { slurmCommand, slurmTaskCommand } from './commands/slurm';
import { syncCommand } from './commands/sync';
import { ticketsCommand } from './commands/tickets';
import { CliError, describeError } from './errors';
import { integer } from './parse';

export function buildProgram(): Command {
  const program = new Command('lth')
    .description('LTH Lab: find, keep and compare lottery tickets (Frankle & Carbin 2019) from the command line')
    .version(LTH_LAB_VERSION)
    .option('--db <file>', 'database file (default: LTH_DB, else <data dir>/lth.sqlite; LTH_HOME moves the data dir)')
    .addOption(new Option('--backend <name>', 'TensorFlow.js backend').choices([...BACKEND_CHOICES]).default('auto'))
    .option('--workers <n>', 'training processes for independent runs (controls, trials); default: one per CPU core', integer)
    .addOption(
      new Option('--pack <mode>', "train ready runs of one dense network as one packed model: 'auto' where it pays (WebGPU, tfjs-node GPU), 'on', 'off' (default: LTH_PACK, else auto)").choices([...PACK_CHOICES]),
    )
    .showHelpAfterError('(run lth --help for usage)')
    .exitOverride()
    // Through the environment, so the training processes (lth serve's workers, the pool) inherit the choice.
    .hook('preAction', (cmd) => {
      const pack = cmd.opts<{ pack?: string }>().pack;
      if (pack) process.env.LTH_PACK = pack;
    });
  for (const cmd of [runCommand(), resumeCommand(), presetsCommand(), datasetsCommand(), experimentsCommand(), ticketsCommand(), exportCommand(), serveCommand(), benchCommand(), doctorCommand(), analyzeCommand(), masksCommand()]) {
    program.addCommand(cmd);
  }
  program.addCommand(slurmCommand());
  program.addCommand(syncCommand());
  program.addCommand(slurmTaskCommand(), { hidden: true });
  // Subcommands report usage errors the same way: one line, exit 2.
  const override = (c: Command) => {
    c.exitOverride();
    c.commands.forEach(override);
  };
  override(program);
  return program;
}

/** What a shell reports for a command killed by SIGPIPE (128 + 13). */
export const EXIT_CLOSED_PIPE = 141;

/**
 * `lth experiments list --json | head` closes the pipe before lth has written everything: stop quietly, as a
 * Unix tool killed by SIGPIPE does, instead of Node's unhandled 'error' stack trace. Progress goes to stderr and
 * results to stdout only once a run has finished, so nothing that still trains is cut short by this.
 */
function quietOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(EXIT_CLOSED_PIPE);
      throw err;
    });
  }
}

export async function main(argv: string[]): Promise<number> {
  quietOnClosedPipe();
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed its message (or the help / version text).
      return err.exitCode === 0 ? 0 : 2;
    }
    const code = err instanceof CliError ? err.exitCode : 1;
    process.stderr.write(`lth: ${describeError(err)}\n`);
    if (process.env.LTH_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return code;
  }
}

if (typeof require !== "undefined" && require.main === module) {
  void main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
