import type { PruningMethod } from './spec';

/**
 * What an experiment does, read from its spec: the window chooses its Review summary, estimate, side panel, detail
 * panels and words from this, never from single fields. A new kind (a sparse-training method) adds a name here and a
 * folder under src/renderer/src/kinds.
 */
export const EXPERIMENT_KINDS = ['imp', 'early-bird', 'at-init', 'instability'] as const;
export type ExperimentKind = (typeof EXPERIMENT_KINDS)[number];

/** The fields that decide the kind; a spec as stored or as the wizard builds it. */
export interface KindedSpec {
  stability?: unknown;
  earlyBird?: unknown;
  pruning: { method?: PruningMethod };
}

export function experimentKind(spec: KindedSpec): ExperimentKind {
  if (spec.stability) return 'instability';
  if ((spec.pruning.method ?? 'magnitude') !== 'magnitude') return 'at-init';
  if (spec.earlyBird) return 'early-bird';
  return 'imp';
}
