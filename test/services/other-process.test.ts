import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { createLabServices } from '../../src/main/services';
import type { LabEvent } from '../../src/shared/events';

/**
 * Two processes on one data directory: what one writes reaches the other's listeners (the open window)
 * within a couple of seconds, and controls that only the owner can honour say so instead of doing nothing.
 */
describe('experiments run by another process', () => {
  const home = mkdtempSync(join(tmpdir(), 'lth-other-'));
  const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  afterAll(() => {
    sleeper.kill();
    rmSync(home, { recursive: true, force: true });
  });

  it('are announced to listeners, and cancel/pause name the process that owns them', async () => {
    const window = await createLabServices({ home, lazyBackend: true });
    const cli = await createLabServices({ home, lazyBackend: true });
    try {
      const events: LabEvent[] = [];
      window.subscribe((e) => events.push(e));
      // The "CLI" writes an experiment and marks it running under another live process.
      const e = cli.store.experiments.create({
        spec: (await import('../../src/shared/spec')).parseSpec({
          dataset: 'mnist',
          network: { dense: [10] },
          training: { learningRate: 0.001, batchSize: 10, iterations: 100 },
          pruning: { rates: { conv: 0, dense: 0.2, output: 0.1 }, rounds: 2 },
        }),
        datasetHash: 'h',
        versions: { lthLab: 't', tfjs: 't' },
      });
      cli.store.experiments.markRunning(e.id, { backend: 'wasm', ownerPid: sleeper.pid! });
      await expect.poll(() => events.some((x) => x.type === 'status' && x.experimentId === e.id && x.status === 'running'), { timeout: 5000 }).toBe(true);
      expect(() => window.experiments.cancel(e.id)).toThrow(/running in another process \(pid \d+/);
      expect(() => window.experiments.pause(e.id)).toThrow(/running in another process/);
      expect(window.experiments.get(e.id).status).toBe('running');
    } finally {
      await cli.close();
      await window.close();
    }
  });
});
