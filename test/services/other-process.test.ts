import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { createLabServices } from '../../src/main/services';
import { ExperimentQueue } from '../../src/main/services/queue';
import { parseSpec } from '../../src/shared/spec';
import type { LabEvent } from '../../src/shared/events';

/**
 * Two processes on one data directory: what one writes reaches the other's listeners (the open window)
 * within a couple of seconds, and controls that only the owner can honour say so instead of doing nothing.
 */
const SPEC = {
  dataset: 'mnist',
  network: { dense: [10] },
  training: { learningRate: 0.001, batchSize: 10, iterations: 100 },
  pruning: { rates: { conv: 0, dense: 0.2, output: 0.1 }, rounds: 2 },
};

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

  it('a queued experiment belongs to the process that queued it: left alone while it lives, interrupted once it died, released on a clean stop', async () => {
    const first = await createLabServices({ home, lazyBackend: true });
    const e = first.store.experiments.create({ spec: parseSpec(SPEC), datasetHash: 'h', versions: { lthLab: 't', tfjs: 't' } });
    // Queued by a live process (lth resume in a terminal, still loading): not taken, not resumed twice.
    first.store.experiments.setQueued(e.id, sleeper.pid!);
    await first.close();
    const second = await createLabServices({ home, lazyBackend: true });
    try {
      expect(second.experiments.get(e.id).status).toBe('queued');
      expect(() => second.experiments.resume(e.id)).toThrow(new RegExp(`process ${sleeper.pid}`));
      // Queued by a process that was killed before it started the experiment: interrupted, as a killed run is.
      const dead = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
      await new Promise((resolve) => dead.on('exit', resolve));
      second.store.experiments.setQueued(e.id, dead.pid!);
    } finally {
      await second.close();
    }
    const third = await createLabServices({ home, lazyBackend: true });
    try {
      expect(third.experiments.get(e.id)).toMatchObject({ status: 'interrupted', error: 'the process that queued it stopped before it started' });

      // A clean stop (Ctrl-C, closing the window) hands what was still waiting to the next start.
      const queue = new ExperimentQueue(third.store, (_id, c) => new Promise((resolve) => c.signal.addEventListener('abort', () => resolve(c.stopStatus()))), () => {});
      const other = third.store.experiments.create({ spec: parseSpec({ ...SPEC, seed: 2 }), datasetHash: 'h', versions: { lthLab: 't', tfjs: 't' } });
      queue.enqueue(e.id);
      queue.enqueue(other.id);
      expect(third.store.experiments.liveness(other.id)).toMatchObject({ status: 'queued', ownerPid: process.pid });
      await new Promise((resolve) => setImmediate(resolve));
      await queue.interruptAll();
      expect(third.store.experiments.liveness(other.id)).toMatchObject({ status: 'queued', ownerPid: null });
    } finally {
      await third.close();
    }
  });
});
