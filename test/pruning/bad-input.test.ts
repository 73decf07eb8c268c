import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSpec, SpecError } from '../../src/shared/spec';
import { freshHome, lth } from '../cli/lth';

const base = {
  dataset: 'mnist',
  network: { dense: [300, 100] },
  training: { learningRate: 0.0012, batchSize: 60, iterations: 100 },
  pruning: { rates: { conv: 0, dense: 0.2, output: 0.1 }, rounds: 2 },
};
const refused = (over: Record<string, unknown>, pattern: RegExp) => {
  const spec = { ...base, ...over, pruning: { ...base.pruning, ...((over.pruning as object) ?? {}) } };
  let err: unknown;
  try {
    parseSpec(spec);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(SpecError);
  expect((err as Error).message).toMatch(pattern);
};

describe('pruning methods, ablations and supermasks: the spec refuses bad input with a clear message', () => {
  it('densities must lie in (0, 1], be given for an at-init method, appear once, and only with such a method', () => {
    refused({ pruning: { method: 'snip', densities: [0.5, 0] } }, /pruning\.densities\.1: must be in \(0, 1\]: a density of 0 keeps no weight/);
    refused({ pruning: { method: 'snip', densities: [1.5] } }, /pruning\.densities\.0: must be in \(0, 1\]/);
    refused({ pruning: { method: 'grasp', densities: [-0.1] } }, /pruning\.densities\.0: must be in \(0, 1\]/);
    refused({ pruning: { method: 'synflow' } }, /pruning\.densities: method 'synflow' prunes at initialisation: give the densities/);
    refused({ pruning: { method: 'snip', densities: [0.1, 0.1] } }, /each density may be listed once/);
    refused({ pruning: { densities: [0.1] } }, /pruning\.densities: only for pruning at initialisation/);
    refused({ pruning: { method: 'snip', densities: [0.1], rewindIteration: 10 } }, /rewinding \(k > 0\) applies to IMP only/);
  });

  it('an unknown method or ablation is named; ablations need a mask', () => {
    refused({ pruning: { method: 'obd' } }, /pruning\.method: Invalid option: expected one of .*"snip"/);
    refused({ ablations: ['flip'] }, /ablations\.0: Invalid option: expected one of "shuffle"\|"reinit"\|"sign"/);
    refused({ ablations: ['shuffle'], pruning: { rounds: 1 } }, /ablations: ablations need a mask to ablate/);
    refused({ ablations: ['sign', 'sign'] }, /each ablation may be listed once/);
  });

  it('a good at-init spec gets its rounds from the densities', () => {
    const spec = parseSpec({ ...base, pruning: { ...base.pruning, method: 'random', densities: [0.5, 0.2, 0.1] }, ablations: ['shuffle'], supermasks: true });
    expect(spec.pruning.rounds).toBe(4);
    expect(parseSpec(base).pruning).toMatchObject({ method: 'magnitude', synflowIterations: 100 });
    expect(parseSpec(base)).toMatchObject({ ablations: [], supermasks: false });
    // What retrainSpec (src/main/services/tickets.ts) makes of an at-init experiment's ticket: IMP with the ticket as round 0.
    const retrain = parseSpec({ ...spec, sourceTicketId: 't_x', pruning: { ...spec.pruning, rounds: 1, rewindIteration: 0, method: 'magnitude', densities: undefined } });
    expect(retrain.pruning.method).toBe('magnitude');
    expect(retrain.ablations).toEqual(['shuffle']);
    expect(() => parseSpec({ ...spec, sourceTicketId: 't_x' })).toThrow(/use method magnitude/);
  });

  it('lth run refuses with one line naming the flag, and stores nothing', () => {
    const home = freshHome();
    const spec = join(home, 'bad.json');
    writeFileSync(spec, JSON.stringify({ ...base, pruning: { ...base.pruning, method: 'lottery' } }));
    const cases: [string[], RegExp][] = [
      [['run', '--method', 'snip', '--densities', '0.5,1.2'], /--densities: must be in \(0, 1\]/],
      [['run', '--method', 'snip', '--densities', '0.5,abc'], /--densities: 'abc' is not a number/],
      [['run', '--method', 'obd', '--densities', '0.5'], /argument 'obd' is invalid. Allowed choices are magnitude, snip, grasp, synflow, magnitude-init, random/],
      [['run', '--rounds', '1', '--ablations', 'shuffle'], /--ablations: ablations need a mask to ablate/],
      [['run', '--spec', spec], /--method: Invalid option: expected one of "magnitude"/],
    ];
    for (const [args, pattern] of cases) {
      const r = lth([...args, '--backend', 'wasm'], home);
      expect(r.status, r.stderr).not.toBe(0);
      expect(r.stderr, args.join(' ')).toMatch(pattern);
      expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
    }
    expect(JSON.parse(lth(['experiments', 'list', '--json'], home).stdout)).toEqual([]);
  });
});
