import type { ExperimentSpec } from '../../../shared/spec';
import { shuffleIsRandom, supermaskWeightsOf, trainedVariants } from '../../../shared/variants';

/** The words shared by the kinds' Review rows. */
export const n = (x: number) => x.toLocaleString('en-US');
export const times = (k: number, one: string, many = `${one}s`) => `${n(k)} ${k === 1 ? one : many}`;

/** Controls and ablations trained beside each pruned step, in words: "random reinit, layer-wise shuffle". */
export function besideWords(spec: Pick<ExperimentSpec, 'controls' | 'ablations'>): string[] {
  const words: Record<string, string> = { reinit: 'random reinit', random: 'random pruning', shuffle: 'layer-wise shuffle', sign: 'sign flip', invert: 'score inversion' };
  // Random pruning and the layer-wise shuffle are one distribution: asked together, one run answers for both.
  const both = shuffleIsRandom({ controls: spec.controls, ablations: spec.ablations });
  const out = spec.controls.map((c) => (c === 'random' && both ? 'random pruning = layer-wise shuffle (one run)' : words[c]!));
  // The ablation 'reinit' and the control 'reinit' train the same network: trainedVariants keeps one.
  for (const a of spec.ablations) {
    if ((a === 'reinit' && spec.controls.includes('reinit')) || (a === 'shuffle' && both)) continue;
    out.push(a === 'reinit' ? 'reinitialise (ablation)' : words[a]!);
  }
  return out;
}

/** Which weights the untrained supermasks use, in words. */
export function supermaskWords(spec: Parameters<typeof supermaskWeightsOf>[0]): string {
  const { symbol } = supermaskWeightsOf(spec);
  return `every mask also scored untrained: mask ⊙ ${symbol} and the signed constant of ${symbol} (2 evaluations per mask)`;
}

export const besideCount = (spec: Pick<ExperimentSpec, 'controls' | 'ablations'>) => trainedVariants(spec).length;

/** How many evaluations one training run of T − start iterations makes (every evalInterval, and at the end). */
export function evaluationsPerRun(training: { iterations: number; evalInterval?: number }, start = 0): number {
  const every = training.evalInterval ?? 100;
  const span = training.iterations - start;
  return Math.max(1, Math.ceil(span / every));
}
