import type { ExperimentSpecInput } from '../../../shared/spec';
import { RETRAIN_INFO } from './analysis-form';

/** The Review step's lines, from the spec as it will be sent: what a researcher checks before a multi-day run. */

const n = (x: number) => x.toLocaleString('en-US');

/** "batch norm · global average pooling · Kaiming init": the options that are on (a residual network always averages). */
export function networkOptions(net: ExperimentSpecInput['network']): string {
  return [
    net.batchNorm && (net.bnInit === 'uniform' ? 'batch norm (γ uniform [0, 1))' : 'batch norm'),
    (net.residual || net.pooling === 'average') && 'global average pooling',
    net.init === 'kaiming' ? 'Kaiming init' : 'Glorot init',
  ]
    .filter(Boolean)
    .join(' · ');
}

/** "SGD 0.1, momentum 0.9 · batch 128 · 30,000 iterations/round". */
/** `per`: what one training run is in the experiment's kind (a round, a density, a starting point's copy). */
export function optimizerLine(t: ExperimentSpecInput['training'], per = 'round'): string {
  const opt = t.optimizer === 'sgd' ? `SGD ${t.learningRate}, momentum ${t.momentum ?? 0.9}` : `Adam ${t.learningRate}`;
  return `${opt} · batch ${t.batchSize} · ${n(t.iterations)} iterations/${per}`;
}

/**
 * "warmup 20,000 · ×0.1 at 20,000, 25,000 · weight decay 0.0001 · crop + flip"; "constant rate" when nothing is set.
 * A comparison's warmups (one experiment each) read "warmup 0 / 20,000".
 */
export function scheduleLine(t: ExperimentSpecInput['training'], warmups?: readonly number[]): string {
  const s = t.schedule;
  const parts = [
    warmups && warmups.length > 1 ? `warmup ${warmups.map(n).join(' / ')} (one experiment each)` : s?.warmupIterations ? `warmup ${n(s.warmupIterations)}` : '',
    s?.milestones?.length ? `×${s.gamma ?? 0.1} at ${s.milestones.map(n).join(', ')}` : '',
    t.weightDecay ? `weight decay ${t.weightDecay}` : '',
    t.augment ? 'random crop + flip' : '',
  ].filter(Boolean);
  return parts.length ? parts.join(' · ') : 'constant rate, no weight decay, no augmentation';
}

/**
 * "global 20% · 19 rounds · rewind to 2,000 (late rewinding) · weight rewinding (LTH)"; a comparison's rewind points
 * (one experiment each) read "rewind to 0 / 500 / 2,000".
 */
export function pruningLine(p: ExperimentSpecInput['pruning'], rewinds?: readonly number[]): string {
  const k = p.rewindIteration ?? 0;
  return [
    `${p.strategy ?? 'layerwise'}${p.strategy === 'global' ? ` ${Math.round((p.globalRate ?? 0.2) * 100)}%` : ''}${p.oneShot ? ', one-shot' : ''}`,
    `${p.rounds.toLocaleString('en-US')} ${p.rounds === 1 ? 'round' : 'rounds'}`,
    rewinds && rewinds.length > 1 ? `rewind to ${rewinds.map(n).join(' / ')} (one experiment each)` : k > 0 ? `rewind to ${n(k)} (late rewinding)` : 'rewind to 0 (original init)',
    RETRAIN_INFO[p.retrain ?? 'rewind'].label,
  ].join(' · ');
}

/** The spec as indented JSON with flat lists on one line (a 16-entry conv list should not take 16 lines); only layout newlines are touched. */
export function specJson(spec: unknown): string {
  return JSON.stringify(spec, null, 2).replace(/\[\n\s+([^[\]{}]*?)\n\s*\]/g, (_, inner: string) => `[${inner.replace(/,\n\s+/g, ', ')}]`);
}
