import { describe, expect, it } from 'vitest';
import { freshHome, json, lth } from './lth';

describe('lth run on real MNIST (the engine issue\'s acceptance run)', () => {
  it('finds a LeNet-300-100 ticket: 3 rounds of 600 iterations with the reinit control, wasm', () => {
    const home = freshHome();
    const out = json(lth(['run', '--preset', 'lenet300-mnist', '--rounds', '3', '--iterations', '600', '--controls', 'reinit', '--backend', 'wasm', '--json'], home));
    expect(out.backend).toBe('wasm');
    const tickets = out.results.filter((r: any) => r.variant === 'ticket');
    expect(tickets.map((r: any) => r.round)).toEqual([0, 1, 2]);
    for (const r of tickets) expect(r.testAccuracy).toBeGreaterThanOrEqual(0.94);
    expect(tickets[0].weightsRemaining).toBe(1);
    expect(tickets[1].weightsRemaining).toBeCloseTo(0.8, 2);
    expect(tickets[2].weightsRemaining).toBeCloseTo(0.64, 2);
    const reinit = out.results.filter((r: any) => r.variant === 'reinit');
    expect(reinit.map((r: any) => r.round)).toEqual([1, 2]);
    expect(reinit.map((r: any) => r.weightsRemaining)).toEqual(tickets.slice(1).map((r: any) => r.weightsRemaining));

    // Stored, listed, and re-runnable from what `show --json` prints.
    const shown = json(lth(['experiments', 'show', out.experimentId, '--json'], home));
    expect(shown.spec.training.iterations).toBe(600);
    expect(shown.versions.tfjs).toMatch(/^4\./);
    expect(shown.datasetHash).toMatch(/^[0-9a-f]{64}$/);
    if (out.winningTicket) {
      const tickets = json(lth(['tickets', 'list', '--json'], home));
      expect(tickets.some((t: any) => t.round === out.winningTicket.round)).toBe(true);
    }
  });
});
