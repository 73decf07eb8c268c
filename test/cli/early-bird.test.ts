import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { specHash } from '../../src/main/store';
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
    // A new experiment runs the reference rule: at detection the newest of 5 masks is within ε of the 4 before it.
    expect(r0.series).toMatchObject({ rule: 'reference', distanceOver: 'survivors', patience: 5 });
    const i = r0.series.iterations.indexOf(r0.series.detectedAt);
    expect(i).toBeGreaterThanOrEqual(3);
    expect(r0.series.spread[i]).toBeLessThanOrEqual(0.1);
    expect(r0.series.spread.slice(3, i).every((d: number) => d > 0.1)).toBe(true);
    expect(out.winningTicket).toBeNull();
    expect(out.winningTicketReason).toMatch(/no full dense run to compare with/);
    const shown = json(lth(['experiments', 'show', out.experimentId, '--json'], home));
    expect(shown.earlyBird).toEqual(out.earlyBird);
    expect(shown.spec.earlyBird.rule).toBe('reference');
    const text = lth(['experiments', 'show', out.experimentId], home).stdout;
    expect(text).toMatch(/Early bird: distances over the surviving weights of the pruned layers; rule: the newest of 5 masks within ε = 0\.1 of each of the 4 before it/);
    expect(text).toMatch(/Early bird, trial 0 round 0: emerged at iteration \d+ \(pruned there\)/);

    // The same experiment as a store written before the fix holds it: no rule in the spec, series without rule
    // and distanceOver. It is shown as the old kind, never as the new one.
    const db = new Database(join(home, 'lth.sqlite'));
    const row = db.prepare('SELECT spec FROM experiments WHERE id = ?').get(out.experimentId) as { spec: string };
    const spec = JSON.parse(row.spec);
    delete spec.earlyBird.rule;
    db.prepare('UPDATE experiments SET spec = ?, spec_hash = ? WHERE id = ?').run(JSON.stringify(spec), specHash(spec), out.experimentId);
    for (const r of db.prepare("SELECT trial, point, data FROM analysis_results WHERE experiment_id = ? AND kind = 'early-bird'").all(out.experimentId) as any[]) {
      const { rule, distanceOver, spread, ...old } = JSON.parse(r.data);
      db.prepare("UPDATE analysis_results SET data = ? WHERE experiment_id = ? AND kind = 'early-bird' AND trial = ? AND point = ?").run(JSON.stringify(old), out.experimentId, r.trial, r.point);
    }
    db.close();
    const oldShown = json(lth(['experiments', 'show', out.experimentId, '--json'], home));
    expect(oldShown.earlyBird[0].series).toMatchObject({ rule: 'consecutive', distanceOver: 'all' });
    expect(lth(['experiments', 'show', out.experimentId], home).stdout).toMatch(/Early bird: stored before the distance fix: distances over all weights .*; rule: 5 consecutive distances below ε = 0\.1/);
  });

  it('refuses ε outside (0, 1) and an unknown mode, storing nothing', () => {
    const home = freshHome();
    for (const [args, pattern] of [
      [['--early-bird', '--eb-epsilon', '1.5'], /--eb-epsilon: ε must be in \(0, 1\)/],
      [['--early-bird', 'sometimes'], /--early-bird: unknown mode 'sometimes'/],
      [['--early-bird', '--eb-rule', 'reference', '--eb-patience', '1'], /--eb-patience: the reference rule keeps `patience` masks .* 2 to 20/],
      [['--early-bird', '--eb-rule', 'sometimes'], /--eb-rule.*sometimes.*reference, consecutive/],
    ] as const) {
      const r = lth(['run', ...args], home);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(pattern);
    }
    expect(json(lth(['experiments', 'list', '--json'], home))).toEqual([]);
  });
});
