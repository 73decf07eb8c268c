import type { ExperimentSpec, Variant } from './spec';

type VariantSpec = Pick<ExperimentSpec, 'controls'> & { ablations?: readonly string[] };

/**
 * The 'shuffle' ablation (each layer's kept positions permuted uniformly) and the 'random' control (each layer keeps
 * as many weights at uniformly random positions, on the same weights) draw from one distribution: asked for together,
 * one run trains, stored as 'random' and labelled with both names.
 */
export function shuffleIsRandom(spec: VariantSpec): boolean {
  return spec.controls.includes('random') && (spec.ablations ?? []).includes('shuffle');
}

/** The variants beside the method's own masks that train like controls: the spec's controls and ablations, once each. */
export function trainedVariants(spec: VariantSpec): Exclude<Variant, 'ticket'>[] {
  const out: Exclude<Variant, 'ticket'>[] = [...spec.controls];
  for (const a of (spec.ablations ?? []) as Exclude<Variant, 'ticket'>[]) if (!out.includes(a) && !(a === 'shuffle' && shuffleIsRandom(spec))) out.push(a);
  return out;
}

/** The variant whose stored runs answer for `variant` in this spec: 'shuffle' reads the 'random' runs when both were asked for. */
export function storedVariant(spec: VariantSpec, variant: Variant): Variant {
  return variant === 'shuffle' && shuffleIsRandom(spec) ? 'random' : variant;
}

/** The other names a stored variant answers for: ['shuffle'] for 'random' when both were asked for. */
export function alsoNamed(spec: VariantSpec | undefined, variant: Variant): Variant[] {
  return spec && variant === 'random' && shuffleIsRandom(spec) ? ['shuffle'] : [];
}

/** Untrained evaluations of every mask (Zhou et al. 2019), when the spec asks for them. */
export const SUPERMASK_VARIANTS = ['supermask', 'supermask-signed'] as const satisfies readonly Variant[];

/** Every variant an experiment of this spec stores. */
export function specVariants(spec: VariantSpec & { supermasks?: boolean }): Variant[] {
  return ['ticket', ...trainedVariants(spec), ...(spec.supermasks ? SUPERMASK_VARIANTS : [])];
}

/**
 * Which weights the untrained supermasks of a spec apply to: θ0, or θk (k the rewind iteration). A spec without
 * `supermaskWeights` was stored before the choice existed and computed θ0.
 */
export function supermaskWeightsOf(spec: { supermaskWeights?: 'init' | 'rewind'; pruning?: { rewindIteration?: number } }): { kind: 'init' | 'rewind'; symbol: string } {
  const kind = spec.supermaskWeights ?? 'init';
  const k = spec.pruning?.rewindIteration ?? 0;
  return { kind, symbol: kind === 'rewind' && k > 0 ? `θk, k = ${k}` : 'θ0' };
}

/**
 * A variant's name with what this spec makes of it: the untrained supermasks name their weights, and 'random'
 * names 'shuffle' too when one run answers for both. `base` is the caller's wording of each variant.
 */
export function variantName(spec: (VariantSpec & { supermaskWeights?: 'init' | 'rewind'; pruning?: { rewindIteration?: number } }) | undefined, variant: Variant, base: Record<Variant, string>): string {
  if (!spec) return base[variant];
  if (variant === 'supermask' || variant === 'supermask-signed') {
    const { symbol } = supermaskWeightsOf(spec);
    return variant === 'supermask' ? `${base.supermask} (mask ⊙ ${symbol})` : `${base['supermask-signed']} (of ${symbol})`;
  }
  if (alsoNamed(spec, variant).includes('shuffle')) return `${base.random} = ${base.shuffle} (one run)`;
  return base[variant];
}
