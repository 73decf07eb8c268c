import { z } from 'zod';

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
});
export type NetworkSpec = z.infer<typeof NetworkSpecSchema>;

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
});
export type TrainingSpec = z.infer<typeof TrainingSpecSchema>;

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
});
export type PruningSpec = z.infer<typeof PruningSpecSchema>;

export const VariantSchema = z.enum(['ticket', 'reinit', 'random']);
export type Variant = z.infer<typeof VariantSchema>;
export const ControlSchema = z.enum(['reinit', 'random']);
export type Control = z.infer<typeof ControlSchema>;

export const ExperimentSpecSchema = z
  .object({
    name: z.string().min(1).max(200).optional(),
    /** Dataset id in the store: 'mnist' is built in. */
    dataset: z.string().min(1).max(128),
    network: NetworkSpecSchema,
    training: TrainingSpecSchema,
    pruning: PruningSpecSchema,
    controls: z.array(ControlSchema).max(2).default([]),
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
    const { rates, strategy } = spec.pruning;
    if (spec.pruning.rounds > 1 && rates.conv === 0 && rates.dense === 0 && rates.output === 0) {
      ctx.addIssue({ code: 'custom', path: ['pruning', 'rates'], message: 'every rate is 0: nothing would be pruned' });
    }
    if (strategy === 'layerwise' && spec.network.conv.length > 0 && spec.network.conv.every((l) => l === 'pool')) {
      ctx.addIssue({ code: 'custom', path: ['network', 'conv'], message: 'pool layers need at least one conv layer' });
    }
    if (new Set(spec.controls).size !== spec.controls.length) {
      ctx.addIssue({ code: 'custom', path: ['controls'], message: 'each control may be listed once' });
    }
  });
export type ExperimentSpec = z.infer<typeof ExperimentSpecSchema>;
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
