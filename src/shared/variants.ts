import type { ExperimentSpec, Variant } from './spec';

/** The variants beside the method's own masks that train like controls: the spec's controls and ablations, once each. */
export function trainedVariants(spec: Pick<ExperimentSpec, 'controls'> & { ablations?: readonly string[] }): Exclude<Variant, 'ticket'>[] {
  const out: Exclude<Variant, 'ticket'>[] = [...spec.controls];
  for (const a of (spec.ablations ?? []) as Exclude<Variant, 'ticket'>[]) if (!out.includes(a)) out.push(a);
  return out;
}

/** Untrained evaluations of every mask (Zhou et al. 2019), when the spec asks for them. */
export const SUPERMASK_VARIANTS = ['supermask', 'supermask-signed'] as const satisfies readonly Variant[];

/** Every variant an experiment of this spec stores. */
export function specVariants(spec: Pick<ExperimentSpec, 'controls'> & { ablations?: readonly string[]; supermasks?: boolean }): Variant[] {
  return ['ticket', ...trainedVariants(spec), ...(spec.supermasks ? SUPERMASK_VARIANTS : [])];
}
