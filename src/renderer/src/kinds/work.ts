import type { ExperimentSpec } from '../../../shared/spec';
import { trainedVariants } from '../../../shared/variants';

/** The words shared by the kinds' Review rows. */
export const n = (x: number) => x.toLocaleString('en-US');
export const times = (k: number, one: string, many = `${one}s`) => `${n(k)} ${k === 1 ? one : many}`;

/** Controls and ablations trained beside each pruned step, in words: "random reinit, layer-wise shuffle". */
export function besideWords(spec: Pick<ExperimentSpec, 'controls' | 'ablations'>): string[] {
  const words: Record<string, string> = { reinit: 'random reinit', random: 'random pruning', shuffle: 'layer-wise shuffle', sign: 'sign inversion' };
  const out = spec.controls.map((c) => words[c]!);
  // The ablation 'reinit' and the control 'reinit' train the same network: trainedVariants keeps one.
  for (const a of spec.ablations) if (!(a === 'reinit' && spec.controls.includes('reinit'))) out.push(a === 'reinit' ? 'reinitialise (ablation)' : words[a]!);
  return out;
}

export const besideCount = (spec: Pick<ExperimentSpec, 'controls' | 'ablations'>) => trainedVariants(spec).length;

/** How many evaluations one training run of T − start iterations makes (every evalInterval, and at the end). */
export function evaluationsPerRun(training: { iterations: number; evalInterval?: number }, start = 0): number {
  const every = training.evalInterval ?? 100;
  const span = training.iterations - start;
  return Math.max(1, Math.ceil(span / every));
}
