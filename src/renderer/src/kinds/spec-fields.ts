import type { ExperimentSpecInput } from '../../../shared/spec';
import { kindViews } from './registry';

/**
 * The spec without what its kind does not use: a hidden field must not reach the stored spec (a dense instability
 * analysis stored IMP's controls). Required fields get the value that means "not used".
 */
export function onlyKindFields(spec: ExperimentSpecInput): ExperimentSpecInput {
  const use = kindViews(spec).fields;
  const p = { ...spec.pruning };
  const out: ExperimentSpecInput = { ...spec, pruning: p };
  if (!use.has('rounds')) p.rounds = p.method && p.method !== 'magnitude' ? (p.densities?.length ?? 0) + 1 : 1;
  if (!use.has('rates')) p.rates = { conv: 0, dense: 0, output: 0 };
  if (!use.has('strategy')) p.strategy = 'layerwise';
  if (!use.has('strategy')) delete p.globalRate;
  if (!use.has('oneShot')) delete p.oneShot;
  if (!use.has('rewind')) delete p.rewindIteration;
  if (!use.has('retrain')) delete p.retrain;
  if (!use.has('controls')) out.controls = [];
  if (!use.has('earlyBird')) delete out.earlyBird;
  if (!use.has('tolerance')) delete out.tolerance;
  return out;
}
