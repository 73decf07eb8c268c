import { describe, expect, it } from 'vitest';
import { freshHome, json, lth } from './lth';

describe('lth masks overlap', () => {
  it('compares masks of an experiment and a ticket; refuses masks of different networks with a clear line', () => {
    const home = freshHome();
    const quick = ['run', '--preset', 'lenet300-mnist', '--trials', '1', '--rounds', '3', '--iterations', '40', '--eval-interval', '20', '--validation-size', '500', '--controls', 'none', '--tolerance', '1', '--backend', 'wasm', '--json'];
    const a = json(lth(quick, home));
    const tickets = json(lth(['tickets', 'list', '--json'], home));
    expect(tickets).toHaveLength(1);
    const out = json(lth(['masks', 'overlap', `experiment:${a.experimentId}:0:1`, `experiment:${a.experimentId}:0:2`, `ticket:${tickets[0].id}`, '--json'], home));
    expect(out.layers).toEqual(['fc1', 'fc2', 'output']);
    expect(out.iou).toHaveLength(3);
    expect(out.iou.map((row: number[], i: number) => row[i])).toEqual([1, 1, 1]);
    expect(out.iouPerLayer[0][1]).toHaveLength(3);
    // Round 2's mask is nested in round 1's: IoU = its size over round 1's (0.64 / 0.8 of the weights).
    expect(out.iou[0][1]).toBeCloseTo(a.results.find((r: any) => r.round === 2).weightsRemaining / a.results.find((r: any) => r.round === 1).weightsRemaining, 3);
    expect(out.hamming[0][1]).toBeCloseTo(0.8 - 0.64, 2);
    expect(out.iou[1][0]).toBe(out.iou[0][1]);
    // The kept ticket is the winning round's mask: identical to it.
    const ticketRound = tickets[0].round;
    expect(out.iou[ticketRound - 1][2]).toBe(1);

    const other = json(lth([...quick, '--dense', '20'], home));
    const r = lth(['masks', 'overlap', `experiment:${a.experimentId}:0:1`, `experiment:${other.experimentId}:0:1`], home);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/masks of different shapes/);
    expect(lth(['masks', 'overlap', `experiment:${a.experimentId}:0:9`, `experiment:${a.experimentId}:0:1`], home).stderr).toMatch(/has no mask for trial 0 round 9/);
    expect(lth(['masks', 'overlap', `experiment:${a.experimentId}:0:1`], home).stderr).toMatch(/at least two masks/);
  });
});
