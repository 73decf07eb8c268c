import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskOverlap } from '../../src/main/engine/analyses/overlap';

describe('mask overlap', () => {
  it('IoU is 1 and Hamming 0 exactly for identical masks; both symmetric; IoU of nested masks is the ratio of their sizes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20, min: 0, max: 1 }), fc.uint8Array({ minLength: 20, maxLength: 20, min: 0, max: 1 }), (x, y) => {
        const a = [x];
        const b = [y];
        expect(maskOverlap(a, a).iou.overall).toBe(1);
        expect(maskOverlap(a, a).hamming.overall).toBe(0);
        expect(maskOverlap(a, b)).toEqual(maskOverlap(b, a));
        const nested = [x.map((v, i) => (v && y[i] ? 1 : 0))];
        const kept = (m: Uint8Array) => m.reduce((s, v) => s + v, 0);
        if (kept(x) > 0) expect(maskOverlap(a, nested).iou.overall).toBeCloseTo(kept(nested[0]!) / kept(x), 12);
      }),
      { numRuns: 200 },
    );
  });
  it('per layer and overall, counting kept weights across layers', () => {
    const a = [Uint8Array.from([1, 1, 0, 0]), Uint8Array.from([1, 1])];
    const b = [Uint8Array.from([1, 0, 1, 0]), Uint8Array.from([1, 1])];
    const o = maskOverlap(a, b);
    expect(o.iou.perLayer).toEqual([1 / 3, 1]);
    expect(o.iou.overall).toBeCloseTo(3 / 5, 12);
    expect(o.hamming).toEqual({ overall: 2 / 6, perLayer: [0.5, 0] });
  });
});
