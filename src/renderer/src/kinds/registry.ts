import { experimentKind, type ExperimentKind, type KindedSpec } from '../../../shared/kind';
import type { KindViews } from './types';
import { imp } from './imp';
import { earlyBird } from './early-bird';
import { atInit } from './at-init';
import { instability } from './instability';

/** Each experiment kind's window panels: a new kind adds its folder and one line here. */
export const KINDS: Record<ExperimentKind, KindViews> = {
  imp,
  'early-bird': earlyBird,
  'at-init': atInit,
  instability,
};

export const kindViews = (spec: KindedSpec): KindViews => KINDS[experimentKind(spec)];
