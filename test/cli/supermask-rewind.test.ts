import { describe, expect, it } from 'vitest';
import { freshHome, json, lth } from './lth';

/** A small LeNet on real MNIST with late rewinding (k = 10), the random control and the shuffle ablation, and supermasks. */
const SMALL = ['run', '--preset', 'lenet300-mnist', '--dense', '20', '--iterations', '30', '--eval-interval', '30', '--validation-size', '500', '--rounds', '2', '--rewind', '10', '--trials', '1', '--controls', 'random', '--ablations', 'shuffle', '--supermasks', '--backend', 'wasm', '--json'];

describe('lth run --supermasks under late rewinding, with shuffle and random together', () => {
  it('a new experiment scores its supermasks on θk and says so; --supermask-weights init gives θ0; shuffle and random train once', () => {
    const home = freshHome();
    const rewind = json(lth(SMALL, home));
    const init = json(lth([...SMALL, '--supermask-weights', 'init'], home));
    const shownRewind = json(lth(['experiments', 'show', rewind.experimentId, '--json'], home));
    expect(shownRewind.spec.supermaskWeights).toBe('rewind');
    expect(json(lth(['experiments', 'show', init.experimentId, '--json'], home)).spec.supermaskWeights).toBe('init');

    // One run answers for 'random' and 'shuffle'; the verdict reads it for shuffle.
    expect(rewind.results.filter((r: any) => r.round === 1).map((r: any) => r.variant)).toEqual(['ticket', 'random', 'supermask', 'supermask-signed']);
    expect(rewind.ablations).toEqual([expect.objectContaining({ ablation: 'shuffle', runsOf: 'random' })]);

    // Same seed, same masks: only the weights under the untrained masks differ (θ10 against θ0).
    const at = (out: any, v: string) => out.results.find((r: any) => r.variant === v && r.round === 1);
    expect(at(rewind, 'ticket').testAccuracy).toBe(at(init, 'ticket').testAccuracy);
    for (const v of ['supermask', 'supermask-signed']) {
      expect([at(rewind, v).valAccuracy, at(rewind, v).testAccuracy]).not.toEqual([at(init, v).valAccuracy, at(init, v).testAccuracy]);
    }

    const table = lth(['experiments', 'show', rewind.experimentId], home).stdout;
    expect(table).toContain('supermask (mask ⊙ θk, k = 10)');
    expect(table).toContain('supermask-signed (of θk, k = 10)');
    expect(table).toContain('random = shuffle (one run)');
    expect(lth(['experiments', 'show', init.experimentId], home).stdout).toContain('supermask (mask ⊙ θ0)');
  });
});
