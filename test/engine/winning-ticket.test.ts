import { describe, expect, it } from 'vitest';
import { chooseWinningTicket } from '../../src/shared/aggregate';
import type { RunResult } from '../../src/shared/results';

function run(round: number, weightsRemaining: number, valAccuracy: number, earlyStopIteration: number, extra: Partial<RunResult> = {}): RunResult {
  return {
    trial: 0,
    variant: 'ticket',
    round,
    weightsRemaining,
    layerDensity: [weightsRemaining],
    earlyStopIteration,
    valLoss: 0.1,
    valAccuracy,
    testAccuracy: valAccuracy - 0.01,
    finalValAccuracy: valAccuracy,
    finalTestAccuracy: valAccuracy,
    iterations: 1000,
    durationMs: 1,
    curve: [],
    ...extra,
  };
}

describe('winning ticket rule', () => {
  it('names the sparsest round within tolerance that stops no later than the dense network', () => {
    const runs = [run(0, 1, 0.95, 800), run(1, 0.8, 0.951, 700), run(2, 0.64, 0.9485, 600), run(3, 0.51, 0.947, 500)];
    const v = chooseWinningTicket(runs, 0.002);
    expect(v.ticket?.round).toBe(2); // round 3 is 0.3 points below dense: outside 0.2
    expect(chooseWinningTicket(runs, 0.004).ticket?.round).toBe(3);
  });

  it('rejects a round that reaches early stopping later than the dense network', () => {
    const v = chooseWinningTicket([run(0, 1, 0.95, 500), run(1, 0.8, 0.96, 600)], 0.002);
    expect(v.ticket).toBeNull();
    expect(v.reason).toMatch(/no pruned round/);
  });

  it('chooses on validation accuracy, never on test accuracy', () => {
    const runs = [run(0, 1, 0.95, 800), run(1, 0.8, 0.95, 700, { testAccuracy: 0.5 }), run(2, 0.64, 0.94, 600, { testAccuracy: 0.99 })];
    const v = chooseWinningTicket(runs, 0.002);
    expect(v.ticket?.round).toBe(1);
    expect(v.ticket?.testAccuracy).toBe(0.5);
  });

  it('averages trials and ignores controls', () => {
    const runs = [
      run(0, 1, 0.95, 800),
      run(0, 1, 0.95, 800, { trial: 1 }),
      run(1, 0.8, 0.96, 700),
      run(1, 0.8, 0.92, 700, { trial: 1 }), // mean 0.94: fails
      run(1, 0.8, 0.99, 100, { variant: 'reinit' }),
    ];
    expect(chooseWinningTicket(runs, 0.002).ticket).toBeNull();
  });

  it('says why when there is no dense round', () => {
    expect(chooseWinningTicket([run(1, 0.8, 0.9, 100)], 0.002).reason).toMatch(/dense network/);
  });
});
