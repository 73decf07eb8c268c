import type { PruningMethod } from '../../../shared/spec';
import { grasp } from './grasp';
import { magnitudeInit } from './magnitude-init';
import { randomInit } from './random';
import { snip } from './snip';
import { synflow } from './synflow';
import type { AtInitMethod } from './types';

export type { AtInitContext, AtInitMethod, ScoreData } from './types';
export { keepCount, keepTopScores, prunablePool, scoreData, SCORE_EXAMPLES_PER_CLASS } from './common';
/** IMP's magnitude pruning stays where imp.ts imports it from. */
export { magnitudeMask, randomMask } from '../prune';

/** The pruning-at-init methods by name. Adding one: a file exporting an AtInitMethod, and one line here. */
export const AT_INIT_METHODS: Record<Exclude<PruningMethod, 'magnitude'>, AtInitMethod> = {
  snip,
  grasp,
  synflow,
  'magnitude-init': magnitudeInit,
  random: randomInit,
};

export function atInitMethod(name: PruningMethod): AtInitMethod {
  if (name === 'magnitude') throw new Error("'magnitude' is IMP (src/main/engine/imp.ts), not a pruning-at-init method");
  const m = AT_INIT_METHODS[name];
  if (!m) throw new Error(`unknown pruning method '${String(name)}': use magnitude, ${Object.keys(AT_INIT_METHODS).join(', ')}`);
  return m;
}
