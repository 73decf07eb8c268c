import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ProgressLog } from '../../src/main/store/progress';
import type { LabEvent } from '../../src/shared/events';
import { tempDir } from './helpers';

const t = tempDir();
afterAll(() => t.cleanup());

const progress = (iteration: number, val: number | null, over: Partial<LabEvent & { type: 'progress' }> = {}): LabEvent => ({
  type: 'progress',
  experimentId: 'e_abc',
  trial: 0,
  variant: 'ticket',
  round: 1,
  iteration,
  startIteration: 0,
  totalIterations: 600,
  valAccuracy: val,
  testAccuracy: val,
  valLoss: val === null ? null : 1 - val,
  fractionDone: iteration / 1200,
  etaSeconds: 10,
  ...over,
});

describe('progress log', () => {
  it('keeps the curve of an unfinished run across processes, drops it when the run is stored, and keeps it after cancel', () => {
    let now = 0;
    const dir = join(t.dir, 'progress');
    const log = new ProgressLog(dir, 1000, () => now);
    log.record(progress(100, 0.5));
    now += 10;
    log.record(progress(150, null)); // throttled: no new evaluation and < 1 s
    now += 10;
    log.record(progress(200, 0.6));
    // Another process (a fresh reader) sees both evaluations.
    const other = new ProgressLog(dir);
    expect(other.partialRuns('e_abc').map((r) => r.curve.map((p) => p.iteration))).toEqual([[100, 200]]);
    expect(other.read('e_abc')?.latest?.type).toBe('progress');
    expect(other.scan().has('e_abc')).toBe(true);

    log.record({ type: 'status', experimentId: 'e_abc', status: 'cancelled', error: null });
    expect(other.partialRuns('e_abc')[0]?.curve).toHaveLength(2);
    expect(other.read('e_abc')?.latest).toBeNull();

    log.record({ type: 'run-complete', experimentId: 'e_abc', result: { trial: 0, variant: 'ticket', round: 1 } as never });
    expect(other.partialRuns('e_abc')).toEqual([]);
    log.record({ type: 'status', experimentId: 'e_abc', status: 'completed', error: null });
    expect(other.scan().has('e_abc')).toBe(false);
  });

  it('a run evaluated every 50 and reporting every few iterations stores one point per evaluation, at its iteration', () => {
    let now = 0;
    const dir = join(t.dir, 'p3');
    const log = new ProgressLog(dir, 1000, () => now);
    for (let it = 0; it <= 150; it += 3) {
      now += 2000;
      const at = Math.floor(it / 50) * 50;
      log.record(progress(it, 0.5 + at / 1000, { evalIteration: at }));
    }
    expect(new ProgressLog(dir).partialRuns('e_abc')[0]?.curve.map((p) => [p.iteration, p.valAccuracy])).toEqual([
      [0, 0.5],
      [50, 0.55],
      [100, 0.6],
      [150, 0.65],
    ]);
  });

  it('starts a run\'s curve again when it restarts from an earlier iteration', () => {
    const log = new ProgressLog(join(t.dir, 'p2'));
    log.record(progress(300, 0.7));
    log.record(progress(100, 0.4));
    expect(log.partialRuns('e_abc')[0]?.curve.map((p) => p.iteration)).toEqual([100]);
  });
});
