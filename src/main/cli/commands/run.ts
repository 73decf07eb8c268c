import { Command, Option } from 'commander';
import { printJson, withServices } from '../context';
import { CliError } from '../errors';
import { followExperiment, runJson } from '../follow';
import { RetrainModeSchema, type ExperimentSpec, type RetrainMode } from '../../../shared/spec';
import { isSweep, sweepSpecs } from '../../../shared/sweep';
import { EARLY_BIRD_RULES } from '../../../shared/analyses/early-bird';
import { integer, integers, list, number, residualShape, widths } from '../parse';
import { cliErrorOf, specFromFlags, type SpecFlags } from '../spec-from-flags';
import { specDatasetIssues } from '../../../shared/spec-dataset';
import type { LabRuntime } from '../../services';
import { isOnSlurm, resumeOnSlurm } from '../../slurm';
import { addSlurmRunOptions, runOnSlurm, type SlurmRunFlags } from './slurm';

export function runCommand(): Command {
  return addSlurmRunOptions(new Command('run'))
    .description('find lottery tickets: train, prune and rewind (iterative magnitude pruning), with controls')
    .option('--preset <id>', 'start from a paper preset (see `lth presets`)')
    .option('--spec <file>', 'start from a spec file (what `lth experiments show ID --json` prints)')
    .option('--name <text>', 'experiment name')
    .option('--dataset <id>', 'dataset id (see `lth datasets list`)')
    .option('--rounds <n>', 'ticket training rounds, round 0 being the dense network', integer)
    .option('--iterations <n>', 'training iterations per round', integer)
    .option('--trials <n>', 'trials (seeds) per experiment', integer)
    .option('--controls <list>', "controls beside each pruned round: reinit,random or 'none'", list)
    .option('--rewind <k>', 'rewind surviving weights to iteration k (0 = original init; k > 0 = late rewinding); several, e.g. 0,500,2000 = one experiment each', integers)
    .addOption(new Option('--strategy <s>', 'magnitude pruning per layer or across layers').choices(['layerwise', 'global']))
    .addOption(
      new Option('--reinit-start <where>', "late rewinding's reinit control: from iteration k for T-k iterations like the ticket (open_lth, the paper's), or from 0 for T").choices(['rewind', 'zero']),
    )
    .option('--seed <n>', "base seed; each trial's seed is hashed from (seed, trial)", integer)
    .addOption(new Option('--optimizer <name>', 'optimizer').choices(['adam', 'sgd']))
    .option('--lr <x>', 'learning rate', number)
    .option('--momentum <x>', 'SGD momentum', number)
    .option('--batch-size <n>', 'batch size', integer)
    .option('--eval-interval <n>', 'evaluate every n iterations', integer)
    .option('--validation-size <n>', 'training examples held out for validation', integer)
    .option('--rate-conv <x>', 'fraction of conv weights pruned per round', number)
    .option('--rate-dense <x>', 'fraction of hidden dense weights pruned per round', number)
    .option('--rate-output <x>', 'fraction of output-layer weights pruned per round; pruning at init: above 0 lets the method prune the output layer too (the deep presets give 0)', number)
    .option('--global-rate <x>', 'fraction pruned per round across layers (with --strategy global)', number)
    .option('--one-shot', 'prune each round straight from the dense network instead of iteratively')
    .option('--tolerance <x>', 'winning ticket: accuracy within this fraction of the dense network (0.002 = 0.2 points)', number)
    .option('--conv <list>', "custom conv stages, e.g. 64,64,pool ('none' for an MLP)", widths(true))
    .option('--dense <list>', 'custom hidden dense widths, e.g. 300,100', widths(false))
    .option('--dropout <x>', 'dropout rate after hidden dense layers', number)
    .option('--residual <shape>', 'a CIFAR ResNet instead of conv stages: stage widths x blocks per stage, e.g. 16,32,64x3 (ResNet-20)', residualShape)
    .option('--batch-norm', 'batch norm after every conv (training: batch statistics; evaluation: running averages)')
    .option('--no-batch-norm', 'no batch norm')
    .addOption(new Option('--bn-init <how>', "batch norm's initial γ: ones (PyTorch's, the default) or uniform in [0, 1) (open_lth's ResNets), drawn from the trial's seed").choices(['ones', 'uniform']))
    .addOption(new Option('--pooling <how>', 'conv features to the dense layers: flatten (Conv-2/4/6) or average (global average pooling)').choices(['flatten', 'average']))
    .addOption(new Option('--init <scheme>', "kernel init: glorot (Gaussian Glorot, the paper's) or kaiming (He normal, open_lth's for ResNet/VGG)").choices(['glorot', 'kaiming']))
    .option('--augment', 'CIFAR augmentation: random crop with 4-pixel padding and horizontal flip, seeded per trial and iteration')
    .option('--no-augment', 'no augmentation')
    .option('--early-bird [mode]', "early-bird tickets (You et al. 2020): 'track' the mask distance of every ticket run, or 'prune' each round where the ticket emerges")
    .option('--eb-epsilon <x>', 'early bird: mask distance threshold ε in (0, 1) (default 0.1)', number)
    .option('--eb-patience <n>', 'early bird: masks kept by the reference rule, or consecutive distances below ε (default 5)', integer)
    .addOption(
      new Option('--eb-rule <rule>', "early bird: 'reference' (the newest of --eb-patience masks within ε of each older one, the authors' code; default) or 'consecutive' (distances below ε in a row)").choices([
        ...EARLY_BIRD_RULES,
      ]),
    )
    .option('--retrain <modes>', 'how pruned rounds retrain: rewind (weights to θk, the LTH), lr-rewind (trained weights, schedule replayed from k), finetune (trained weights, final rate); several = one experiment each', list)
    .option('--warmup <n>', 'linear learning-rate warmup over the first n iterations; several, e.g. 0,20000 = one experiment each', integers)
    .option('--lr-milestones <list>', "multiply the learning rate by --lr-gamma at these iterations, e.g. 20000,25000 ('none' for no decay)", list)
    .option('--lr-gamma <x>', 'step-decay factor at each milestone (default 0.1)', number)
    .option('--weight-decay <x>', 'L2 weight decay added to every gradient', number)
    .addOption(
      new Option('--method <name>', 'how masks are found: magnitude (IMP) or, pruning at initialisation, snip (Lee 2019), grasp (Wang 2020), synflow (Tanaka 2020), magnitude-init, random').choices([
        'magnitude',
        'snip',
        'grasp',
        'synflow',
        'magnitude-init',
        'random',
      ]),
    )
    .option('--densities <list>', 'pruning at init: fractions of weights kept, one trained network each, e.g. 0.5,0.2,0.1,0.05', list)
    .option('--synflow-iterations <n>', "SynFlow's pruning iterations (default 100)", integer)
    .option(
      '--ablations <list>',
      "ablations beside each pruned round: shuffle, reinit, invert (score inversion; Frankle et al. 2021), sign (sign flip; Zhou et al. 2019), or 'none'. shuffle and the random control are one distribution: with both, one run trains for the two names",
      list,
    )
    .option('--supermasks', 'also score every mask untrained: mask ⊙ θ and the signed constant of θ (Zhou et al. 2019); θ per --supermask-weights')
    .addOption(new Option('--supermask-weights <which>', 'the θ of --supermasks: rewind (θk, the rewind point: the default for a new experiment) or init (θ0)').choices(['rewind', 'init']))
    .option('--json', 'print one JSON object with the results on stdout at the end')
    .action(async (raw: RunFlags & SlurmRunFlags & { json?: boolean }, cmd: Command) => {
      const specs = specsFromRunFlags(raw);
      const spec = specs[0]!;
      const opts = raw;
      if (opts.on === 'slurm') {
        if (specs.length > 1) throw new CliError('--on slurm takes one experiment per submission: one --retrain mode, one --rewind point and one --warmup');
        return withServices(cmd, (services) => runOnSlurm(services, spec, opts, cmd));
      }
      await withServices(cmd, async (services) => {
        if (specs.length === 1) {
          const summary = createNamingFlags(services, spec, raw);
          if (!opts.json) process.stderr.write(`experiment ${summary.id}: ${summary.name} on ${(await services.backend()).name}\n`);
          await followExperiment(services, summary.id, Boolean(opts.json));
          return;
        }
        // One experiment per retraining mode, same seed and spec otherwise: Compare overlays them.
        // All are checked before any is stored, so a refusal leaves none behind.
        for (const s of specs) checkAgainstDataset(services, s, raw);
        const created = specs.map((s) => createNamingFlags(services, s, raw));
        if (!opts.json) for (const c of created) process.stderr.write(`experiment ${c.id}: ${c.name}\n`);
        const results: ReturnType<typeof runJson>[] = [];
        for (const c of created) results.push(runJson(await followExperiment(services, c.id, Boolean(opts.json), false)));
        if (opts.json) {
          const onlyRetrain = (raw.rewind?.length ?? 0) < 2 && (raw.warmup?.length ?? 0) < 2;
          if (onlyRetrain) printJson({ retrain: Object.fromEntries(specs.map((s, i) => [s.pruning.retrain, results[i]])) });
          else printJson({ sweep: specs.map((s, i) => ({ retrain: s.pruning.retrain, rewind: s.pruning.rewindIteration, warmup: s.training.schedule.warmupIterations, ...results[i] })) });
        }
        else process.stdout.write(`\ncompare them: lth export --experiment ${created.map((c) => c.id).join(',')} --figure accuracy\n`);
      }, true);
    });
}

/** What `lth run` parses: the spec flags, with --rewind and --warmup as lists and --retrain modes. */
export type RunFlags = Omit<SpecFlags, 'rewind' | 'warmup'> & { retrain?: string[]; rewind?: number[]; warmup?: number[] };

/** Every experiment one `lth run` command line asks for: one, or one per retraining mode, rewind point and warmup. */
export function specsFromRunFlags(raw: RunFlags): ExperimentSpec[] {
  const flags: SpecFlags = { ...raw, rewind: raw.rewind?.[0], warmup: raw.warmup?.[0] };
  return sweepOf(retrainSpecs(specFromFlags(flags, (line) => process.stderr.write(`${line}\n`)), raw.retrain), raw.rewind, raw.warmup);
}

/** `--retrain a,b,c`: the same experiment once per mode (named for it), for the side-by-side figure. */
function retrainSpecs(spec: ExperimentSpec, modes: string[] | undefined): ExperimentSpec[] {
  if (!modes || modes.length === 0) return [spec];
  const parsed: RetrainMode[] = [];
  for (const m of modes) {
    const r = RetrainModeSchema.safeParse(m);
    if (!r.success) throw new CliError(`--retrain: unknown mode '${m}': choose from ${RetrainModeSchema.options.join(', ')}`);
    if (parsed.includes(r.data)) throw new CliError(`--retrain: '${m}' is listed twice`);
    parsed.push(r.data);
  }
  if (parsed.length === 1) return [{ ...spec, pruning: { ...spec.pruning, retrain: parsed[0]! } }];
  return parsed.map((retrain) => ({
    ...spec,
    name: `${spec.name ?? 'IMP'} · ${retrain}`,
    pruning: { ...spec.pruning, retrain },
  }));
}

/**
 * `--rewind 0,500,2000` and `--warmup 0,20000`: the same experiment once per value (and per combination), named
 * for it, on the same seeds (src/shared/sweep.ts, which the wizard's comparison uses too).
 */
function sweepOf(specs: ExperimentSpec[], rewind: number[] | undefined, warmup: number[] | undefined): ExperimentSpec[] {
  const lists = { rewind, warmup };
  const named = { rewind: '--rewind', warmup: '--warmup' } as const;
  const twice = (['rewind', 'warmup'] as const).find((axis) => new Set(lists[axis] ?? []).size !== (lists[axis]?.length ?? 0));
  if (twice) throw new CliError(`${named[twice]}: a value is listed twice`);
  if (!isSweep(lists)) return specs;
  return specs.flatMap((base) => {
    const { entries, problems } = sweepSpecs(base, lists);
    const first = problems[0];
    if (first) throw new CliError(`${first.axis ? named[first.axis] : first.path}: ${first.message}`);
    return entries.map((e) => e.parsed!);
  });
}

export function resumeCommand(): Command {
  return new Command('resume')
    .description('continue an interrupted or paused experiment from its last finished runs')
    .argument('<id>', 'experiment id')
    .option('--json', 'print one JSON object with the results on stdout at the end')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      await withServices(cmd, async (services) => {
        if (isOnSlurm(services.store, id)) {
          const { jobId, trials } = resumeOnSlurm(services.store, id);
          if (opts.json) return printJson({ experimentId: id, jobId, trials });
          process.stdout.write(`resubmitted trial(s) ${trials.join(',')} of ${id} as job array ${jobId}; bring results home with: lth sync ${id}\n`);
          return;
        }
        services.experiments.resume(id);
        await followExperiment(services, id, Boolean(opts.json));
      }, true);
    });
}

/** The dataset's size meets the spec here, so a refusal names the flag (the services would name the spec field). */
function checkAgainstDataset(services: LabRuntime, spec: ExperimentSpec, raw: RunFlags): void {
  const issues = specDatasetIssues(spec, services.datasets.get(spec.dataset));
  if (issues.length) throw cliErrorOf(issues, Boolean(raw.spec));
}

function createNamingFlags(services: LabRuntime, spec: ExperimentSpec, raw: RunFlags) {
  checkAgainstDataset(services, spec, raw);
  return services.experiments.create(spec);
}
