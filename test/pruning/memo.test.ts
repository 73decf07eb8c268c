import { describe, expect, it } from 'vitest';
import { memoScores } from '../../src/main/engine/pruning/common';
import type { AtInitContext } from '../../src/main/engine/pruning/types';

describe('density-independent scores are computed once per trial', () => {
  it('memoScores runs the scoring once per key for every density of a trial, and again after a failure', async () => {
    const ctx = { memo: new Map() } as unknown as AtInitContext;
    let calls = 0;
    const score = async () => {
      calls++;
      return [Float32Array.of(calls)];
    };
    const a = await memoScores(ctx, 'snip', score);
    const b = await memoScores(ctx, 'snip', score);
    expect(calls).toBe(1);
    expect(b).toBe(a);
    await memoScores(ctx, 'grasp', score);
    expect(calls).toBe(2);
    let failing = true;
    const flaky = async () => {
      calls++;
      if (failing) throw new Error('out of memory');
      return [Float32Array.of(0)];
    };
    await expect(memoScores(ctx, 'flaky', flaky)).rejects.toThrow('out of memory');
    failing = false;
    await expect(memoScores(ctx, 'flaky', flaky)).resolves.toHaveLength(1);
    // Without a memo (a caller outside runAtInit), every call scores.
    const none = {} as AtInitContext;
    await memoScores(none, 'snip', score);
    await memoScores(none, 'snip', score);
    expect(calls).toBe(6);
  });
});
