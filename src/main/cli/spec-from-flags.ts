import { readFileSync } from 'node:fs';
import { findPreset, PRESETS, type Preset } from '../../shared/presets';
import { scaleSchedule } from '../../shared/schedule';
import { ExperimentSpecSchema, type ExperimentSpec, type ExperimentSpecInput } from '../../shared/spec';
import { CliError } from './errors';

/** Every spec field the `run` command can set, with the flag that sets it. */
export interface SpecFlags {
  preset?: string;
  spec?: string;
  name?: string;
  dataset?: string;
  rounds?: number;
  iterations?: number;
  trials?: number;
  controls?: string[];
  rewind?: number;
  strategy?: string;
  seed?: number;
  optimizer?: string;
  lr?: number;
  momentum?: number;
  batchSize?: number;
  evalInterval?: number;
  validationSize?: number;
  rateConv?: number;
  rateDense?: number;
  rateOutput?: number;
  globalRate?: number;
  oneShot?: boolean;
  reinitStart?: 'rewind' | 'zero';
  warmup?: number;
  earlyBird?: string | boolean;
  ebEpsilon?: number;
  ebPatience?: number;
  ebRule?: string;
  lrMilestones?: string[];
  lrGamma?: number;
  weightDecay?: number;
  tolerance?: number;
  conv?: (number | 'pool')[];
  dense?: number[];
  /** Issue 14: deep networks. */
  residual?: { widths: number[]; blocks: number };
  batchNorm?: boolean;
  bnInit?: 'ones' | 'uniform';
  pooling?: 'flatten' | 'average';
  init?: 'glorot' | 'kaiming';
  augment?: boolean;
  dropout?: number;
  /** Issue 13: pruning method, at-init densities, ablations, supermasks. */
  method?: string;
  densities?: string[];
  synflowIterations?: number;
  ablations?: string[];
  supermasks?: boolean;
  supermaskWeights?: 'init' | 'rewind';
}

/** Spec path -> the flag a user would change, so errors speak the command line's language. */
const FLAG_OF: Record<string, string> = {
  name: '--name',
  dataset: '--dataset',
  'pruning.rounds': '--rounds',
  'training.iterations': '--iterations',
  trials: '--trials',
  controls: '--controls',
  'pruning.rewindIteration': '--rewind',
  'pruning.strategy': '--strategy',
  seed: '--seed',
  'training.optimizer': '--optimizer',
  'training.learningRate': '--lr',
  'training.momentum': '--momentum',
  'training.batchSize': '--batch-size',
  'training.evalInterval': '--eval-interval',
  'training.validationSize': '--validation-size',
  'pruning.rates.conv': '--rate-conv',
  'pruning.rates.dense': '--rate-dense',
  'pruning.rates.output': '--rate-output',
  'pruning.globalRate': '--global-rate',
  'pruning.oneShot': '--one-shot',
  'pruning.reinitStart': '--reinit-start',
  'pruning.retrain': '--retrain',
  'training.schedule.warmupIterations': '--warmup',
  'training.schedule.milestones': '--lr-milestones',
  'training.schedule.gamma': '--lr-gamma',
  'training.weightDecay': '--weight-decay',
  'earlyBird.epsilon': '--eb-epsilon',
  'earlyBird.patience': '--eb-patience',
  'earlyBird.rule': '--eb-rule',
  tolerance: '--tolerance',
  'network.conv': '--conv',
  'network.dense': '--dense',
  'network.dropout': '--dropout',
  'network.residual': '--residual',
  'network.batchNorm': '--batch-norm',
  'network.bnInit': '--bn-init',
  'network.pooling': '--pooling',
  'network.init': '--init',
  'training.augment': '--augment',
  'pruning.method': '--method',
  'pruning.densities': '--densities',
  'pruning.synflowIterations': '--synflow-iterations',
  ablations: '--ablations',
  supermasks: '--supermasks',
  supermaskWeights: '--supermask-weights',
};

function readSpecFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError(`--spec ${path}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CliError(`--spec ${path}: not valid JSON: ${(err as Error).message}`);
  }
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  // Accept what `lth experiments show ID --json` prints as well as a bare spec.
  const spec = isObject(json) && 'spec' in json ? json.spec : json;
  if (!isObject(spec)) throw new CliError(`--spec ${path}: must hold an experiment spec (a JSON object), not ${spec === null ? 'null' : Array.isArray(spec) ? 'an array' : typeof spec}`);
  return spec;
}

/** How to clear a schedule value the run's length does not reach, beside the schema's message. */
const PAST_T_HINT: Record<string, string> = {
  'training.schedule.milestones': 'give milestones below it, or --lr-milestones none for no decay',
  'training.schedule.warmupIterations': 'give a shorter one, or --warmup 0 for none',
};

/**
 * Starts from --spec or --preset and applies every other flag on top; validates with the shared schema.
 * `note` receives what the user should know about values the command line did not give (a scaled schedule).
 */
export function specFromFlags(flags: SpecFlags, note?: (line: string) => void): ExperimentSpec {
  if (flags.spec && flags.preset) throw new CliError('give either --spec FILE or --preset ID, not both');
  let base: ExperimentSpecInput;
  let preset: Preset | undefined;
  if (flags.spec) {
    base = readSpecFile(flags.spec) as ExperimentSpecInput;
  } else {
    const id = flags.preset ?? 'lenet300-mnist';
    preset = findPreset(id);
    if (!preset) throw new CliError(`unknown preset '${id}': choose one of ${PRESETS.map((p) => p.id).join(', ')}`);
    base = structuredClone(preset.spec);
  }
  const s = structuredClone(base) as Record<string, any>;
  // Flags write into these sections: a spec file may hold anything there, and must get a CliError, not a TypeError.
  const section = (parent: Record<string, any>, key: string, path: string) => {
    parent[key] ??= {};
    const v = parent[key];
    if (typeof v !== 'object' || Array.isArray(v)) throw new CliError(`spec field ${path}: expected an object, received ${Array.isArray(v) ? 'an array' : typeof v}`);
  };
  section(s, 'network', 'network');
  section(s, 'training', 'training');
  section(s, 'pruning', 'pruning');
  section(s.pruning, 'rates', 'pruning.rates');
  const set = (obj: Record<string, any>, key: string, value: unknown) => {
    if (value !== undefined) obj[key] = value;
  };
  set(s, 'name', flags.name);
  set(s, 'dataset', flags.dataset);
  set(s, 'trials', flags.trials);
  set(s, 'seed', flags.seed);
  set(s, 'tolerance', flags.tolerance);
  if (flags.controls) s.controls = flags.controls.filter((c) => c !== 'none');
  set(s.pruning, 'rounds', flags.rounds);
  set(s.pruning, 'rewindIteration', flags.rewind);
  set(s.pruning, 'strategy', flags.strategy);
  set(s.pruning, 'globalRate', flags.globalRate);
  set(s.pruning, 'oneShot', flags.oneShot);
  set(s.pruning, 'reinitStart', flags.reinitStart);
  set(s.pruning.rates, 'conv', flags.rateConv);
  set(s.pruning.rates, 'dense', flags.rateDense);
  set(s.pruning.rates, 'output', flags.rateOutput);
  set(s.training, 'iterations', flags.iterations);
  set(s.training, 'optimizer', flags.optimizer);
  set(s.training, 'learningRate', flags.lr);
  set(s.training, 'momentum', flags.momentum);
  set(s.training, 'batchSize', flags.batchSize);
  set(s.training, 'evalInterval', flags.evalInterval);
  set(s.training, 'validationSize', flags.validationSize);
  set(s.training, 'weightDecay', flags.weightDecay);
  if (flags.earlyBird !== undefined || flags.ebEpsilon !== undefined || flags.ebPatience !== undefined || flags.ebRule !== undefined) {
    const mode = flags.earlyBird === undefined || flags.earlyBird === true ? 'track' : flags.earlyBird;
    if (mode !== 'track' && mode !== 'prune') throw new CliError(`--early-bird: unknown mode '${mode}': use track or prune`);
    s.earlyBird = { ...(typeof s.earlyBird === 'object' && s.earlyBird ? s.earlyBird : {}), prune: mode === 'prune' };
    set(s.earlyBird, 'epsilon', flags.ebEpsilon);
    set(s.earlyBird, 'patience', flags.ebPatience);
    set(s.earlyBird, 'rule', flags.ebRule);
  }
  const scaled = preset ? scalePresetSchedule(s, preset, flags) : null;
  if (flags.warmup !== undefined || flags.lrMilestones !== undefined || flags.lrGamma !== undefined) {
    section(s.training, 'schedule', 'training.schedule');
    set(s.training.schedule, 'warmupIterations', flags.warmup);
    set(s.training.schedule, 'gamma', flags.lrGamma);
    if (flags.lrMilestones) {
      const none = flags.lrMilestones.length === 1 && flags.lrMilestones[0] === 'none';
      s.training.schedule.milestones = none ? [] : flags.lrMilestones.map((m) => {
        const n = Number(m);
        if (!Number.isInteger(n) || n < 1) throw new CliError(`--lr-milestones: '${m}' is not a positive whole number of iterations`);
        return n;
      });
    }
  }
  if (flags.conv || flags.dense || flags.residual) {
    // Custom widths make a custom network: the preset's name no longer describes it.
    delete s.network.preset;
    set(s.network, 'conv', flags.conv);
    set(s.network, 'dense', flags.dense);
    // Conv stages and residual stages replace each other.
    if (flags.conv) delete s.network.residual;
    if (flags.residual) {
      // A ResNet's head is the global pool and the output layer: the plain network's hidden layers (LeNet's 300-100
      // by default) go with it unless --dense asks for some.
      if (!s.network.residual && !flags.dense) s.network.dense = [];
      s.network.residual = flags.residual;
      if (!flags.conv) s.network.conv = [];
    }
  }
  // Off is absent, not false: a spec without the deep-network fields hashes as it always did.
  const toggle = (obj: Record<string, any>, key: string, on: boolean | undefined) => {
    if (on === true) obj[key] = true;
    else if (on === false) delete obj[key];
  };
  toggle(s.network, 'batchNorm', flags.batchNorm);
  if (flags.bnInit) {
    // γ = 1 is absent: stored specs without the field keep their hash.
    if (flags.bnInit === 'ones') delete s.network.bnInit;
    else s.network.bnInit = flags.bnInit;
  } else if (flags.batchNorm === false) delete s.network.bnInit;
  toggle(s.training, 'augment', flags.augment);
  if (flags.pooling) {
    if (flags.pooling === 'flatten') delete s.network.pooling;
    else s.network.pooling = flags.pooling;
  }
  if (flags.init) {
    if (flags.init === 'glorot') delete s.network.init;
    else s.network.init = flags.init;
  }
  set(s.network, 'dropout', flags.dropout);
  set(s.pruning, 'method', flags.method);
  if (flags.densities) {
    s.pruning.densities = flags.densities.map((d) => {
      const x = Number(d);
      if (!/^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i.test(d) || !Number.isFinite(x)) throw new CliError(`--densities: '${d}' is not a number (give fractions of weights kept, e.g. 0.5,0.2,0.1)`);
      return x;
    });
  }
  set(s.pruning, 'synflowIterations', flags.synflowIterations);
  if (flags.ablations) s.ablations = flags.ablations.filter((a) => a !== 'none');
  set(s, 'supermasks', flags.supermasks);
  // A new experiment's supermasks apply to θk (the rewind point), written into the spec; a --spec file keeps what it says.
  if (flags.supermaskWeights) s.supermaskWeights = flags.supermaskWeights;
  else if (flags.supermasks && s.supermaskWeights === undefined) s.supermaskWeights = 'rewind';
  // Pruning at init has no rewinding: a preset's late-rewinding point (IMP's) does not carry over.
  if (flags.method && flags.method !== 'magnitude' && flags.rewind === undefined && s.pruning.rewindIteration) s.pruning.rewindIteration = 0;
  // A short run keeps the paper's evaluation cadence unless it would never evaluate before the end.
  if (flags.iterations !== undefined && flags.iterations >= 1 && flags.evalInterval === undefined && s.training.evalInterval > flags.iterations) {
    s.training.evalInterval = flags.iterations;
  }

  const parsed = ExperimentSpecSchema.safeParse(s);
  if (!parsed.success) throw cliErrorOf(parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })), Boolean(flags.spec));
  if (scaled) note?.(scaled);
  return parsed.data;
}

/**
 * --iterations on a preset with a learning-rate schedule: the warmup and milestones the command line did not give
 * follow the training length (scaleSchedule). Returns the line that says what they became, or null.
 */
function scalePresetSchedule(s: Record<string, any>, preset: Preset, flags: SpecFlags): string | null {
  const from = preset.spec.training.iterations;
  const to = flags.iterations;
  const given = preset.spec.training.schedule;
  if (to === undefined || to === from || !given || !Number.isInteger(to) || to < 1) return null;
  const scaled = scaleSchedule(given, from, to);
  const parts: string[] = [];
  if (flags.warmup === undefined && (given.warmupIterations ?? 0) > 0) {
    s.training.schedule.warmupIterations = scaled.warmupIterations;
    parts.push(`warmup ${given.warmupIterations} -> ${scaled.warmupIterations || 'none'}`);
  }
  if (flags.lrMilestones === undefined && (given.milestones ?? []).length > 0) {
    s.training.schedule.milestones = scaled.milestones;
    parts.push(`lr milestones ${given.milestones!.join(',')} -> ${scaled.milestones.join(',') || 'none'}`);
  }
  return parts.length ? `${preset.id} at ${to} of its ${from} iterations: ${parts.join(', ')} (scaled with the training length; --warmup and --lr-milestones set them)` : null;
}

/** Problems with spec fields, each named by the flag the user typed (or the spec file's field). */
export function cliErrorOf(issues: readonly { path: string; message: string }[], fromSpecFile: boolean): CliError {
  const lines = issues.map(({ path, message }) => {
    // 'controls.1' is the second entry of --controls: name the flag the user typed.
    const owner = Object.keys(FLAG_OF)
      .filter((k) => path === k || path.startsWith(`${k}.`))
      .sort((a, b) => b.length - a.length)[0];
    const flag = owner ? FLAG_OF[owner] : fromSpecFile ? `spec field ${path}` : path || 'spec';
    const hint = PAST_T_HINT[path] && /training\.iterations/.test(message) ? ` (${PAST_T_HINT[path]})` : '';
    return `${flag}: ${message}${hint}`;
  });
  return new CliError(lines.join('; '));
}
