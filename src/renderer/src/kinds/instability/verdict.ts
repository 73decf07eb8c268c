import type { ExperimentDetail } from '../../../../shared/results';

/**
 * What the analysis says, in its starting points' own terms: for a dense sweep the earliest k from which every later
 * one is stable (the k to rewind to); for the rounds of an IMP experiment, how sparse the masks stay stable. The
 * rounds all start at the same k, so "stable from iteration 0 on" would say nothing about them.
 */
export function stabilityVerdict(d: Pick<ExperimentDetail, 'spec' | 'stability'>): { text: string; stable: boolean } {
  const s = d.stability;
  if (!s || !s.summary.length) return { text: 'No starting point has finished yet.', stable: false };
  if (d.spec.stability?.sourceExperimentId) {
    const byWeights = [...s.summary].sort((a, b) => b.weightsRemaining - a.weightsRemaining);
    let last = -1;
    while (last + 1 < byWeights.length && byWeights[last + 1]!.stable) last++;
    if (last < 0) return { text: `Unstable already at ${byWeights[0]!.label}.`, stable: false };
    const at = byWeights[last]!;
    const next = byWeights[last + 1];
    return {
      text: next
        ? `Stable down to ${at.label}; ${next.label} is not.`
        : `Stable at every starting point finished, down to ${at.label}.`,
      stable: true,
    };
  }
  const k = s.suggestedRewindPoint;
  if (k === null) return { text: 'No starting point is stable yet.', stable: false };
  return { text: k > 0 ? `Stable from iteration ${k.toLocaleString('en-US')} on: rewind to k = ${k.toLocaleString('en-US')}.` : 'Stable from initialisation (k = 0) on.', stable: true };
}
