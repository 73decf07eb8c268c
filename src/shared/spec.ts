import { z } from 'zod';
import { BATCH_NORM_STATS } from './analyses/stability';
import { EARLY_BIRD_RULES, MAX_REFERENCE_PATIENCE } from './analyses/early-bird';

/**
 * The experiment spec: everything needed to re-run an experiment bit for bit on the same backend.
 * It is the one schema shared by the CLI, the IPC handlers, the browser-mode server and the wizard.
 */

/** The engine conventions new experiments use (see ExperimentSpec.engineVersion). */
export const ENGINE_VERSION = 2 as const;

const int = (min: number, max: number) => z.number().int().min(min).max(max);
const unitRate = z
  .number()
  .min(0, 'must be in [0, 1): 0 means the layer kind is never pruned')
  .lt(1, 'must be in [0, 1): a rate of 1 would remove every weight');

/** A convolutional stage: a 3x3 'same' conv with that many filters, or a 2x2 max-pool. */
export const ConvLayerSchema = z.union([int(1, 4096), z.literal('pool')]);

export const NetworkSpecSchema = z.object({
  /** Preset this network came from, for display only; the layer lists are authoritative. */
  preset: z.string().max(64).optional(),
  conv: z.array(ConvLayerSchema).max(32).default([]),
  dense: z.array(int(1, 65536)).max(32).default([]),
  /** Dropout rate after each hidden dense layer (the paper's dropout variant uses 0.5). 0 = off. */
  dropout: z.number().min(0).lt(1).default(0),
  // The deep-network fields are optional without defaults: a spec that does not use them hashes as before.
  /**
   * A CIFAR ResNet (He et al. 2016) in place of `conv`: a 3x3 stem with widths[0] filters, then one stage per
   * width of `blocks` basic blocks (two 3x3 convs and a shortcut); every stage after the first starts with
   * stride 2 and a 1x1 projection shortcut. ResNet-20 = widths 16,32,64 and 3 blocks (6·3+2 layers).
   */
  residual: z.object({ widths: z.array(int(1, 4096)).min(1).max(8), blocks: int(1, 64) }).optional(),
  /** Batch norm after every conv (training: batch statistics; evaluation: running averages); its β is the conv's bias. */
  batchNorm: z.boolean().optional(),
  /**
   * Batch norm's initial γ: absent = 1 (PyTorch's BatchNorm2d); 'uniform' draws it in [0, 1) from the trial's seed,
   * as open_lth does for its ResNets and VGGs. γ trains and is part of θ0, so rewinding restores the draw.
   */
  bnInit: z.enum(['ones', 'uniform']).optional(),
  /** How conv features reach the dense layers: 'flatten' (the paper's Conv-2/4/6, the default) or 'average' (global average pooling). */
  pooling: z.enum(['flatten', 'average']).optional(),
  /** Kernel init: 'glorot' (Gaussian Glorot, the paper's, the default) or 'kaiming' (He normal, fan-in: open_lth's default for its ResNets and VGGs). */
  init: z.enum(['glorot', 'kaiming']).optional(),
});
export type NetworkSpec = z.infer<typeof NetworkSpecSchema>;

/**
 * The learning-rate schedule, one for every optimizer and every retraining mode (open_lth's conventions):
 * linear warmup lr·min(1, it/W) over the first W iterations, and step decay by `gamma` at each milestone.
 * The rate at iteration `it` is a pure function of `it`, so rewinding to k replays the schedule from k.
 */
export const ScheduleSpecSchema = z.object({
  warmupIterations: int(0, 10_000_000).default(0),
  /** Iterations at which the rate is multiplied by `gamma` (ResNet-20: 20000, 25000). */
  milestones: z.array(int(1, 10_000_000)).max(32).default([]),
  gamma: z.number().gt(0).max(1).default(0.1),
});
export type ScheduleSpec = z.infer<typeof ScheduleSpecSchema>;

export const TrainingSpecSchema = z.object({
  optimizer: z.enum(['adam', 'sgd']).default('adam'),
  learningRate: z.number().gt(0).max(10),
  momentum: z.number().min(0).lt(1).default(0.9),
  batchSize: int(1, 8192),
  iterations: int(1, 10_000_000),
  /** Evaluate validation loss/accuracy and test accuracy every this many iterations. */
  evalInterval: int(1, 10_000_000).default(100),
  /** Training examples held out for validation (early stopping, ticket choice). */
  validationSize: int(1, 1_000_000).default(5000),
  schedule: ScheduleSpecSchema.default({ warmupIterations: 0, milestones: [], gamma: 0.1 }),
  /** L2 penalty added to every gradient (PyTorch's weight_decay): the ResNet-20 and VGG-19 presets use 1e-4, the LTH paper's. */
  weightDecay: z.number().min(0).max(1).default(0),
  /**
   * CIFAR augmentation: each training image is shifted by a random crop of its 4-pixel zero-padded copy and
   * flipped left-right with probability 1/2, seeded by (trial, iteration, position in the batch), so resume,
   * packing and the instability copies stay exact. Absent = off (MNIST and the paper's Conv-2/4/6).
   */
  augment: z.boolean().optional(),
});
export type TrainingSpec = z.infer<typeof TrainingSpecSchema>;

export const RetrainModeSchema = z.enum(['rewind', 'lr-rewind', 'finetune']);
export type RetrainMode = z.infer<typeof RetrainModeSchema>;

export const PruningSpecSchema = z.object({
  strategy: z.enum(['layerwise', 'global']).default('layerwise'),
  /** Fraction of the remaining weights pruned per round, per layer kind (layer-wise strategy). */
  rates: z.object({ conv: unitRate, dense: unitRate, output: unitRate }),
  /** Global strategy: fraction of the remaining weights pruned per round across all layers whose kind rate > 0. */
  globalRate: z.number().gt(0).lt(1).default(0.2),
  /** Training runs of the ticket, round 0 being the dense (or transferred) network. */
  rounds: int(1, 100),
  /** One-shot: round r prunes the round-0 weights straight to the density iterative pruning reaches at r. */
  oneShot: z.boolean().default(false),
  /** Iteration to rewind surviving weights to: 0 is the paper's reset to init, k > 0 is late rewinding. */
  rewindIteration: int(0, 10_000_000).default(0),
  /**
   * Where the reinit control starts under late rewinding (k > 0). 'rewind': fresh weights trained from
   * iteration k for T-k iterations, exactly the ticket's schedule and data (open_lth's randomly_reinitialize,
   * the convention of Frankle et al. 2019, "Stabilizing the LTH"). 'zero': fresh weights trained T iterations
   * from 0, as the dense network. Identical when k = 0.
   */
  reinitStart: z.enum(['rewind', 'zero']).default('rewind'),
  /**
   * How a pruned round retrains (Renda, Frankle & Carbin 2020): 'rewind' resets survivors to θk and trains T−k
   * iterations (the LTH); 'lr-rewind' keeps the trained weights and replays the learning-rate schedule from k for
   * T−k iterations; 'finetune' keeps the trained weights and trains T−k iterations at the final learning rate.
   */
  retrain: RetrainModeSchema.default('rewind'),
  /** 'magnitude' = IMP; any other method prunes at initialisation to each of `densities` (one shot each). */
  method: z.enum(['magnitude', 'snip', 'grasp', 'synflow', 'magnitude-init', 'random']).default('magnitude'),
  /** Pruning at init: the fractions of prunable weights kept, one trained network each (round i = densities[i-1]). */
  densities: z
    .array(z.number().gt(0, 'must be in (0, 1]: a density of 0 keeps no weight').max(1, 'must be in (0, 1]: a density is a fraction of weights kept'))
    .max(99)
    .optional(),
  /** SynFlow's pruning iterations (the paper's 100), densities following an exponential schedule. */
  synflowIterations: int(1, 10_000).default(100),
});
export type PruningSpec = z.infer<typeof PruningSpecSchema>;

/**
 * What trains (or is evaluated) at a round. 'ticket' is the method's own mask; 'reinit' and 'random' are the
 * LTH paper's controls; 'shuffle' (layer-wise random shuffle) and 'invert' (score inversion) are ablations of
 * Frankle et al. 2021 (arXiv 2009.08576); 'sign' (sign flipping) comes from Zhou et al. 2019 (arXiv 1905.01067);
 * 'supermask' and 'supermask-signed' are untrained evaluations (Zhou et al. 2019).
 */
export const VariantSchema = z.enum(['ticket', 'reinit', 'random', 'shuffle', 'sign', 'invert', 'supermask', 'supermask-signed']);
export type Variant = z.infer<typeof VariantSchema>;
export const ControlSchema = z.enum(['reinit', 'random']);
export type Control = z.infer<typeof ControlSchema>;

/**
 * How masks are found (src/main/engine/pruning). 'magnitude' is IMP (train, prune by magnitude, rewind);
 * the others prune at initialisation, one shot to each of `pruning.densities`, before any training:
 * SNIP (Lee et al. 2019), GraSP (Wang et al. 2020), SynFlow (Tanaka et al. 2020), magnitude of θ0, random.
 */
export const PruningMethodSchema = PruningSpecSchema.shape.method.removeDefault();
export type PruningMethod = z.infer<typeof PruningMethodSchema>;
/**
 * Ablations of the method's masks. Frankle et al. 2021 ("Pruning neural networks at initialization: why are we
 * missing the mark?"): 'shuffle' (the kept positions permuted within each layer: the same distribution as the
 * 'random' control, so asking for both trains one run), 'reinit' (fresh weights on the same mask) and 'invert'
 * (score inversion: keep the lowest-scoring weights at the method's density). Zhou et al. 2019 ("Deconstructing
 * lottery tickets"): 'sign' (every kept weight's sign flipped).
 */
export const AblationSchema = z.enum(['shuffle', 'reinit', 'sign', 'invert']);
export type Ablation = z.infer<typeof AblationSchema>;

/**
 * An instability analysis instead of IMP (Frankle et al. 2020): from each starting point, two copies trained to
 * the end with different data order, and the error barrier along the line between them. Starting points: the
 * dense network's θk for each rewind point; or, with sourceTicketId, the ticket; or, with sourceExperimentId,
 * each round of that IMP experiment (mask and rewind weights of the same trial).
 */
export const StabilitySpecSchema = z.object({
  rewindPoints: z.array(int(0, 10_000_000)).min(1).max(32).default([0]),
  /** N: the path is evaluated at α = 0, 1/N, …, 1. */
  interpolationPoints: int(2, 200).default(30),
  /** Stable when the mean error barrier is below this (the paper's 2%). */
  threshold: z.number().gt(0).lt(1).default(0.02),
  sourceExperimentId: z.string().min(1).max(64).optional(),
  /** Batch norm's running statistics along the path (absent: interpolated like the weights). Batch-norm networks only. */
  batchNormStats: z.enum(BATCH_NORM_STATS).optional(),
});
export type StabilitySpec = z.infer<typeof StabilitySpecSchema>;

export const ExperimentSpecSchema = z
  .object({
    name: z.string().min(1).max(200).optional(),
    /** Dataset id in the store: 'mnist' is built in. */
    dataset: z.string().min(1).max(128),
    network: NetworkSpecSchema,
    training: TrainingSpecSchema,
    pruning: PruningSpecSchema,
    controls: z.array(ControlSchema).max(2).default([]),
    /** Ablations trained beside every pruned round, like controls (see AblationSchema for where each comes from). */
    ablations: z.array(AblationSchema).max(4).default([]),
    /** Also evaluate every mask untrained: mask ⊙ θ and the signed constant of θ (Zhou et al. 2019). */
    supermasks: z.boolean().default(false),
    /**
     * Which θ the supermasks apply to: 'init' (θ0, Zhou et al.'s) or 'rewind' (θk, the weights the ticket rewinds
     * to: the analogue of theirs under late rewinding; θ0 when k = 0). Absent means 'init', which is what stored
     * specs without the field computed; new specs (CLI, wizard) write 'rewind'. Optional without default: the hash
     * of a spec that lacks it does not change.
     */
    supermaskWeights: z.enum(['init', 'rewind']).optional(),
    trials: int(1, 100).default(1),
    /** Base seed: trial t's seed (init, data order, validation split, controls) is derived from (seed, t); see engineVersion. */
    seed: int(0, 2 ** 31 - 1).default(0),
    /**
     * The engine conventions the results were computed with; part of the spec hash, so results of different
     * conventions are never mixed. 1: trial seed = seed + t (seed s trial 1 was seed s+1 trial 0) and pixels
     * normalised with statistics over all training images, validation included. 2: trial seed hashed from
     * (seed, t), and statistics over the images that train. Stored specs without it are version 1.
     */
    engineVersion: z.union([z.literal(1), z.literal(2)]).default(ENGINE_VERSION),
    /** Winning ticket: val accuracy at early stop >= dense - tolerance (a fraction: 0.002 = 0.2 points). */
    tolerance: z.number().min(0).max(1).default(0.002),
    /**
     * Early-bird tickets (You et al. 2020): every ticket run tracks the distance between the masks the next
     * round's pruning would give at its evaluations; with `prune`, each round but the last stops and prunes as
     * soon as the rule holds (the early-bird IMP mode). `rule` (shared/analyses/early-bird.ts): 'reference'
     * keeps `patience` masks and asks the newest to be within ε of each older one; 'consecutive' asks for
     * `patience` consecutive distances below ε. No default, so stored specs keep their hash: absent means a
     * spec stored before the choice, which keeps running as it did (consecutive, distance over all weights);
     * new experiments get 'reference' written in (withEarlyBirdRule).
     */
    earlyBird: z
      .object({
        epsilon: z.number().gt(0, 'ε must be in (0, 1)').lt(1, 'ε must be in (0, 1)').default(0.1),
        patience: int(1, 1000).default(5),
        prune: z.boolean().default(false),
        rule: z.enum(EARLY_BIRD_RULES).optional(),
      })
      // Each kept mask is a byte per weight in memory and in every checkpoint (VGG-19: 20 MB a mask).
      .refine((eb) => eb.rule !== 'reference' || (eb.patience >= 2 && eb.patience <= MAX_REFERENCE_PATIENCE), {
        path: ['patience'],
        message: `the reference rule keeps \`patience\` masks and compares the newest with the older ones: 2 to ${MAX_REFERENCE_PATIENCE}`,
      })
      .optional(),
    /** Present for an instability analysis: the experiment trains copy pairs instead of pruning. */
    stability: StabilitySpecSchema.optional(),
    /** Set for a retrain/transfer: round 0 starts from this ticket's mask and rewind weights. */
    sourceTicketId: z.string().min(1).max(64).optional(),
  })
  .superRefine((spec, ctx) => {
    if (spec.training.iterations >= 1 && spec.pruning.rewindIteration >= spec.training.iterations) {
      ctx.addIssue({
        code: 'custom',
        path: ['pruning', 'rewindIteration'],
        message: `must be below training.iterations (${spec.training.iterations})`,
      });
    }
    const { schedule, iterations } = spec.training;
    spec.stability?.rewindPoints.forEach((k, i) => {
      if (k >= iterations) {
        ctx.addIssue({ code: 'custom', path: ['stability', 'rewindPoints', i], message: `rewind point ${k} is not below training.iterations (${iterations}): the copies would not train` });
      }
    });
    if (spec.stability && new Set(spec.stability.rewindPoints).size !== spec.stability.rewindPoints.length) {
      ctx.addIssue({ code: 'custom', path: ['stability', 'rewindPoints'], message: 'each rewind point may be listed once' });
    }
    if (spec.stability?.batchNormStats === 'reestimate' && spec.network.batchNorm !== true) {
      ctx.addIssue({ code: 'custom', path: ['stability', 'batchNormStats'], message: 'the network has no batch norm: there are no running statistics to re-estimate' });
    }
    if (spec.network.bnInit !== undefined && spec.network.batchNorm !== true) {
      ctx.addIssue({ code: 'custom', path: ['network', 'bnInit'], message: 'the network has no batch norm: there is no γ to initialise' });
    }
    if (spec.stability?.sourceExperimentId && spec.sourceTicketId) {
      ctx.addIssue({ code: 'custom', path: ['stability', 'sourceExperimentId'], message: 'start from a ticket or from an experiment, not both' });
    }
    schedule.milestones.forEach((m, i) => {
      if (i > 0 && m <= schedule.milestones[i - 1]!) {
        ctx.addIssue({ code: 'custom', path: ['training', 'schedule', 'milestones'], message: 'must be in increasing order' });
      }
      if (m >= iterations) {
        ctx.addIssue({ code: 'custom', path: ['training', 'schedule', 'milestones'], message: `${m} is not below training.iterations (${iterations}): it would never apply` });
      }
    });
    if (schedule.warmupIterations >= iterations && schedule.warmupIterations > 0) {
      ctx.addIssue({ code: 'custom', path: ['training', 'schedule', 'warmupIterations'], message: `must be below training.iterations (${iterations})` });
    }
    const { rates, strategy } = spec.pruning;
    if (spec.pruning.rounds > 1 && rates.conv === 0 && rates.dense === 0 && rates.output === 0) {
      ctx.addIssue({ code: 'custom', path: ['pruning', 'rates'], message: 'every rate is 0: nothing would be pruned' });
    }
    if (spec.network.residual && spec.network.conv.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['network', 'residual'], message: 'a residual network has its own conv stages: leave network.conv empty' });
    }
    if (strategy === 'layerwise' && spec.network.conv.length > 0 && spec.network.conv.every((l) => l === 'pool')) {
      ctx.addIssue({ code: 'custom', path: ['network', 'conv'], message: 'pool layers need at least one conv layer' });
    }
    atInitChecks(spec, ctx);
    if (new Set(spec.controls).size !== spec.controls.length) {
      ctx.addIssue({ code: 'custom', path: ['controls'], message: 'each control may be listed once' });
    }
  })
  // Pruning at init trains the dense network (round 0) and one network per density: the round count follows.
  .transform((spec) =>
    spec.pruning.method !== 'magnitude' && spec.pruning.densities?.length
      ? { ...spec, pruning: { ...spec.pruning, rounds: spec.pruning.densities.length + 1 } }
      : spec,
  );

export type ExperimentSpec = z.infer<typeof ExperimentSpecSchema>;

/** The checks of pruning methods, ablations and supermasks (issue 13), kept apart from the others. */
function atInitChecks(
  spec: { pruning: { method: PruningMethod; densities?: number[]; rounds: number; rewindIteration: number; oneShot: boolean }; ablations: Ablation[]; supermasks: boolean; supermaskWeights?: string; sourceTicketId?: string },
  ctx: z.RefinementCtx,
): void {
  const { method, densities } = spec.pruning;
  if (spec.supermaskWeights !== undefined && !spec.supermasks) {
    ctx.addIssue({ code: 'custom', path: ['supermaskWeights'], message: 'only with supermasks: true (it says which weights the untrained masks are scored on)' });
  }
  if (spec.ablations.includes('invert')) {
    // Inversion needs a score to invert: random pruning has none, and a saved ticket's mask came with no scores here.
    if (method === 'random') ctx.addIssue({ code: 'custom', path: ['ablations'], message: "'invert' keeps the lowest-scoring weights: random pruning has no score to invert" });
    if (spec.sourceTicketId) ctx.addIssue({ code: 'custom', path: ['ablations'], message: "'invert' needs the scores behind the mask: a retrain or transfer of a saved ticket has none for its starting mask" });
  }
  if (method === 'magnitude') {
    if (densities !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['pruning', 'densities'], message: `only for pruning at initialisation (method snip, grasp, synflow, magnitude-init or random); IMP ('magnitude') prunes by rounds and rates` });
    }
    if (spec.ablations.length > 0 && spec.pruning.rounds < 2 && !spec.sourceTicketId) {
      ctx.addIssue({ code: 'custom', path: ['ablations'], message: 'ablations need a mask to ablate: with one round IMP prunes nothing (use rounds >= 2 or a pruning-at-init method with densities)' });
    }
  } else {
    if (!densities || densities.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['pruning', 'densities'], message: `method '${method}' prunes at initialisation: give the densities to prune to, e.g. 0.5,0.2,0.1,0.05` });
    } else if (new Set(densities).size !== densities.length) {
      ctx.addIssue({ code: 'custom', path: ['pruning', 'densities'], message: 'each density may be listed once' });
    }
    if (spec.pruning.rewindIteration !== 0) {
      ctx.addIssue({ code: 'custom', path: ['pruning', 'rewindIteration'], message: `pruning at initialisation trains from θ0: rewinding (k > 0) applies to IMP only` });
    }
    if (spec.sourceTicketId) {
      ctx.addIssue({ code: 'custom', path: ['pruning', 'method'], message: 'a retrain or transfer starts from a saved ticket: use method magnitude' });
    }
  }
  if (new Set(spec.ablations).size !== spec.ablations.length) {
    ctx.addIssue({ code: 'custom', path: ['ablations'], message: 'each ablation may be listed once' });
  }
}
export type ExperimentSpecInput = z.input<typeof ExperimentSpecSchema>;

/** One line per problem, naming the field: what the CLI prints and the UI shows beside a field. */
export function formatIssues(error: z.ZodError, prefix = ''): string {
  return error.issues
    .map((i) => `${prefix}${i.path.length ? i.path.join('.') : '(spec)'}: ${i.message}`)
    .join('\n');
}

export class SpecError extends Error {
  constructor(message: string, readonly issues: { path: string; message: string }[] = []) {
    super(message);
    this.name = 'SpecError';
  }
}

export function parseSpec(input: unknown): ExperimentSpec {
  const r = ExperimentSpecSchema.safeParse(input);
  if (!r.success) {
    throw new SpecError(
      `invalid experiment spec:\n${formatIssues(r.error, '  ')}`,
      r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  return r.data;
}
