import { Command, Option } from 'commander';
import { BATCH_NORM_STATS, REESTIMATE_EXAMPLES, type BatchNormStats } from '../../../shared/analyses/stability';
import type { ExperimentDetail } from '../../../shared/results';
import { parseSpec, SpecError, type ExperimentSpec } from '../../../shared/spec';
import { stabilitySourceSpec, stabilitySpecInput } from '../../services/stability';
import type { LabRuntime } from '../../services';
import { printJson, withServices } from '../context';
import { CliError } from '../errors';
import { followExperiment } from '../follow';
import { stabilityTable } from '../table';
import { integer, list, number } from '../parse';
import { specFromFlags, type SpecFlags } from '../spec-from-flags';

interface StabilityFlags extends SpecFlags {
  rewindPoints?: string[];
  from?: string;
  alphas?: number;
  threshold?: number;
  bnStats?: BatchNormStats;
  json?: boolean;
}

/** `--from ticket:ID | experiment:ID` -> the network, dataset and training the analysis must share with it. */
function fromSource(services: LabRuntime, from: string | undefined): { base?: ExperimentSpec; ticketId?: string; experimentId?: string } {
  if (!from) return {};
  const m = /^(ticket|experiment):(.+)$/.exec(from);
  if (!m) throw new CliError(`--from: expected ticket:ID or experiment:ID, got '${from}'`);
  const src = m[1] === 'ticket' ? { ticketId: services.store.tickets.load(m[2]!).record.id } : { experimentId: services.store.experimentDetail(m[2]!).id };
  return { base: stabilitySourceSpec(services.store, src), ...src };
}

function points(flags: StabilityFlags): number[] | undefined {
  if (!flags.rewindPoints) return undefined;
  return flags.rewindPoints.map((p) => {
    const n = Number(p);
    if (!Number.isInteger(n) || n < 0) throw new CliError(`--rewind-points: '${p}' is not a whole number of iterations`);
    return n;
  });
}

function withTrainingFlags(spec: ExperimentSpec, f: StabilityFlags): ExperimentSpec {
  if (f.preset || f.spec) throw new CliError('--from brings its own network and training: drop --preset/--spec');
  const t = spec.training;
  return {
    ...spec,
    trials: f.trials ?? spec.trials,
    seed: f.seed ?? spec.seed,
    training: {
      ...t,
      iterations: f.iterations ?? t.iterations,
      learningRate: f.lr ?? t.learningRate,
      batchSize: f.batchSize ?? t.batchSize,
      evalInterval: f.evalInterval ?? t.evalInterval,
      validationSize: f.validationSize ?? t.validationSize,
      schedule: f.warmup !== undefined ? { ...t.schedule, warmupIterations: f.warmup } : t.schedule,
    },
  };
}

export function stabilitySpec(services: LabRuntime, flags: StabilityFlags): ExperimentSpec {
  const src = fromSource(services, flags.from);
  // With a source, the network, dataset and training are the source's; flags still override training fields.
  const base = src.base ? withTrainingFlags(src.base, flags) : specFromFlags(flags, (line) => process.stderr.write(`${line}\n`));
  const ks = points(flags);
  if (ks && (src.ticketId || src.experimentId)) throw new CliError('--rewind-points: a ticket or an experiment brings its own starting points; give one or the other');
  const input = stabilitySpecInput(services.store, base, { ticketId: src.ticketId, experimentId: src.experimentId }, {
    name: flags.name,
    rewindPoints: ks,
    interpolationPoints: flags.alphas,
    threshold: flags.threshold,
    batchNormStats: flags.bnStats,
    dataset: src.base ? (flags.dataset ?? src.base.dataset) : undefined,
  });
  try {
    return parseSpec(input);
  } catch (e) {
    if (e instanceof SpecError) {
      const flag = (path: string) =>
        path === 'stability.rewindPoints' || path.startsWith('stability.rewindPoints.') ? '--rewind-points' : path === 'stability.batchNormStats' ? '--bn-stats' : path;
      throw new CliError(e.issues.map((i) => `${flag(i.path)}: ${i.message}`).join('; '));
    }
    throw e;
  }
}

export function stabilityJson(d: ExperimentDetail) {
  return { experimentId: d.id, status: d.status, backend: d.backend, stability: d.stability ?? null };
}

export function analyzeCommand(): Command {
  const stability = new Command('stability')
    .description('instability analysis (Frankle et al. 2020): two copies per starting point, error barrier along the line between them')
    .option('--from <source>', 'ticket:ID (its mask and rewind weights) or experiment:ID (every round of an IMP experiment); default: the dense network')
    .option('--rewind-points <list>', 'dense starting points: iterations k, e.g. 0,100,500,1000,2000 (default 0)', list)
    .option('--alphas <n>', 'N: evaluate the path at alpha = 0, 1/N, ..., 1 (default 30)', integer)
    .option('--threshold <x>', 'stable when the mean barrier is below this fraction (default 0.02, the paper\'s 2%)', number)
    .addOption(
      new Option('--bn-stats <mode>', `batch-norm networks: running statistics along the path, interpolated like the weights or re-estimated for each network from ${REESTIMATE_EXAMPLES} training examples (default interpolate)`).choices([...BATCH_NORM_STATS]),
    )
    .option('--preset <id>', 'network and training from a paper preset (default lenet300-mnist)')
    .option('--spec <file>', 'network and training from a spec file')
    .option('--name <text>', 'experiment name')
    .option('--dataset <id>', 'dataset id')
    .option('--iterations <n>', 'training iterations T (copies train from k to T)', integer)
    .option('--trials <n>', 'pairs of copies per starting point (each its own trial seed)', integer)
    .option('--seed <n>', 'base seed', integer)
    .option('--lr <x>', 'learning rate', number)
    .option('--batch-size <n>', 'batch size', integer)
    .option('--eval-interval <n>', 'evaluate the copies every n iterations', integer)
    .option('--validation-size <n>', 'training examples held out for validation', integer)
    .option('--warmup <n>', 'linear learning-rate warmup over the first n iterations', integer)
    .option('--json', 'print one JSON object with the results on stdout at the end')
    .action(async (opts: StabilityFlags, cmd: Command) => {
      await withServices(
        cmd,
        async (services) => {
          const spec = stabilitySpec(services, opts);
          const summary = services.experiments.create(spec);
          if (!opts.json) process.stderr.write(`experiment ${summary.id}: ${summary.name} on ${(await services.backend()).name}\n`);
          const detail = await followExperiment(services, summary.id, true, false);
          if (opts.json) printJson(stabilityJson(detail));
          else process.stdout.write(`\n${detail.name} (${detail.id}): ${detail.status}\n\n${stabilityTable(detail)}\n`);
        },
        true,
      );
    });
  return new Command('analyze').description('analyses beside IMP: instability (linear mode connectivity)').addCommand(stability);
}
