import { describe, expect, it } from 'vitest';
import { freshHome, json, lth } from './lth';

describe('lth analyze stability on real MNIST', () => {
  it("LeNet-300-100 is stable at initialisation (Frankle et al. 2020): the k = 0 barrier is under 2%; stored and shown", () => {
    const home = freshHome();
    const out = json(
      lth(['analyze', 'stability', '--iterations', '300', '--eval-interval', '100', '--validation-size', '1000', '--trials', '1', '--rewind-points', '0', '--alphas', '10', '--backend', 'wasm', '--json'], home),
    );
    expect(out.status).toBe('completed');
    const [p] = out.stability.points;
    expect(p.label).toBe('k = 0');
    expect(p.alphas).toHaveLength(11);
    expect(p.endpoints[0]).toBeGreaterThan(0.9);
    expect(p.endpoints[1]).toBeGreaterThan(0.9);
    expect(p.endpoints[0]).not.toBe(p.endpoints[1]);
    expect(p.barrier).toBeLessThan(0.02);
    expect(out.stability.summary[0].stable).toBe(true);
    expect(out.stability.suggestedRewindPoint).toBe(0);
    const shown = json(lth(['experiments', 'show', out.experimentId, '--json'], home));
    expect(shown.stability.points[0].testError).toEqual(p.testError);
    expect(shown.spec.stability.rewindPoints).toEqual([0]);
    const list = json(lth(['experiments', 'list', '--json'], home));
    expect(list[0]).toMatchObject({ roundsDone: 1, roundsPlanned: 1, status: 'completed' });
  });

  it.each([
    [['--iterations', '100', '--rewind-points', '0,100'], /--rewind-points: .*not below training.iterations \(100\)/],
    [['--rewind-points', '0,x'], /'x' is not a whole number/],
    [['--alphas', '1'], /interpolationPoints|alphas/],
    [['--from', 'nonsense'], /--from: expected ticket:ID or experiment:ID/],
    [['--from', 'ticket:t_missing'], /ticket t_missing not found/],
  ])('refuses %j with one clear line and stores nothing', (args, pattern) => {
    const home = freshHome();
    const r = lth(['analyze', 'stability', ...args], home);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
    expect(json(lth(['experiments', 'list', '--json'], home))).toEqual([]);
  });
});
