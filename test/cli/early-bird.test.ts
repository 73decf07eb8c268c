import { describe, expect, it } from 'vitest';
import { freshHome, json, lth } from './lth';

describe('lth run --early-bird on real MNIST', () => {
  it('prune mode: the dense round stops where its early-bird mask emerged, the last round trains to the end; series stored and shown', () => {
    const home = freshHome();
    const out = json(
      lth(['run', '--preset', 'lenet300-mnist', '--trials', '1', '--rounds', '2', '--iterations', '600', '--eval-interval', '50', '--validation-size', '1000', '--controls', 'none', '--early-bird', 'prune', '--backend', 'wasm', '--json'], home),
    );
    const [r0, r1] = out.earlyBird;
    expect(r0.round).toBe(0);
    expect(r0.series.stopped).toBe(true);
    expect(r0.series.detectedAt).toBeLessThan(600);
    const t0 = out.results.find((r: any) => r.round === 0);
    const t1 = out.results.find((r: any) => r.round === 1);
    expect(t0.earlyStopIteration).toBeLessThanOrEqual(r0.series.detectedAt);
    expect(r1.series.stopped).toBe(false);
    expect(t1.finalTestAccuracy).toBeGreaterThan(0.9);
    // Five consecutive distances under ε end at the detection point.
    const i = r0.series.iterations.indexOf(r0.series.detectedAt);
    expect(r0.series.distances.slice(i - 4, i + 1).every((d: number) => d < 0.1)).toBe(true);
    expect(out.winningTicket).toBeNull();
    expect(out.winningTicketReason).toMatch(/no full dense run to compare with/);
    const shown = json(lth(['experiments', 'show', out.experimentId, '--json'], home));
    expect(shown.earlyBird).toEqual(out.earlyBird);
  });

  it('refuses ε outside (0, 1) and an unknown mode, storing nothing', () => {
    const home = freshHome();
    for (const [args, pattern] of [
      [['--early-bird', '--eb-epsilon', '1.5'], /--eb-epsilon: ε must be in \(0, 1\)/],
      [['--early-bird', 'sometimes'], /--early-bird: unknown mode 'sometimes'/],
    ] as const) {
      const r = lth(['run', ...args], home);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(pattern);
    }
    expect(json(lth(['experiments', 'list', '--json'], home))).toEqual([]);
  });
});
