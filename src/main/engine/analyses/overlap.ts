import type { Mask } from '../types';
import { maskDistance } from './early-bird';

export interface MaskOverlap {
  /** Fraction of positions where the masks differ (normalised Hamming distance). */
  hamming: { overall: number; perLayer: number[] };
  /** Intersection over union of the kept weights. */
  iou: { overall: number; perLayer: number[] };
}

/** How alike two masks of the same network are: Hamming distance and IoU of the kept sets, per layer and overall. */
export function maskOverlap(a: Mask, b: Mask): MaskOverlap {
  const hamming = maskDistance(a, b);
  let inter = 0;
  let union = 0;
  const perLayer = a.map((m, l) => {
    const o = b[l]!;
    let i = 0;
    let u = 0;
    for (let j = 0; j < m.length; j++) {
      if (m[j] && o[j]) i++;
      if (m[j] || o[j]) u++;
    }
    inter += i;
    union += u;
    // Two empty layers keep the same (nothing): identical.
    return u > 0 ? i / u : 1;
  });
  return { hamming, iou: { overall: union > 0 ? inter / union : 1, perLayer } };
}
