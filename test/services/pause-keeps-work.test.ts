import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLabServices, type LabRuntime } from '../../src/main/services';
import { PRESETS } from '../../src/shared/presets';
import type { LabEvent } from '../../src/shared/events';
import type { ExperimentStatus, RunResult } from '../../src/shared/results';

const WORKER = resolve(__dirname, '../../dist/worker.js');
const lenet = PRESETS.find((p) => p.id === 'lenet300-mnist')!.spec;
/** One dense run long enough to pause in its middle; controls none, so the run that pauses is the only one. */
const SPEC = { ...lenet, name: 'pause me', trials: 1, controls: [], pruning: { ...lenet.pruning, rounds: 1 }, training: { ...lenet.training, iterations: 600, evalInterval: 200, validationSize: 1000 } };

function until(services: LabRuntime, id: string, want: ExperimentStatus): Promise<void> {
  return new Promise((done) => {
    const check = () => services.experiments.get(id).status === want;
    if (check()) return done();
    const off = services.subscribe((e) => {
      if (e.type === 'status' && e.experimentId === id && check()) {
        off();
        done();
      }
    });
  });
}

const withoutTime = (r: RunResult) => {
  const { durationMs: _d, ...rest } = r;
  return rest;
};

describe('pause keeps the run in progress (the window, through its experiment process and the training pool)', () => {
  const homes: string[] = [];
  afterAll(() => {
    for (const h of homes) rmSync(h, { recursive: true, force: true });
  });

  it('a run paused mid-way resumes from where it stopped (Resume at once, while it is still stopping) and ends bit-identical to an uninterrupted one', async () => {
    const home = mkdtempSync(join(tmpdir(), 'lth-pause-'));
    homes.push(home);
    // The window's setup: each experiment in its own process, its runs in a pool of training processes.
    const services = await createLabServices({ home, backend: 'wasm', runner: 'child', workers: 2, workerEntry: WORKER, lazyBackend: true });
    try {
      const events: LabEvent[] = [];
      services.subscribe((e) => events.push(e));
      const paused = services.experiments.create(SPEC);
      await new Promise<void>((done) => {
        const off = services.subscribe((e) => {
          if (e.type === 'progress' && e.experimentId === paused.id && e.iteration >= 200) {
            off();
            services.experiments.pause(paused.id);
            done();
          }
        });
      });
      await until(services, paused.id, 'paused');
      const kept = services.store.resumeState(paused.id).checkpoints.get('0:ticket:0');
      expect(kept, 'the paused run left no checkpoint').toBeDefined();
      expect(kept!.iteration).toBeGreaterThanOrEqual(200);
      expect(kept!.iteration).toBeLessThan(600);

      const before = events.length;
      services.experiments.resume(paused.id);
      await until(services, paused.id, 'completed');
      // From its next start on (the stopping process may still report its last steps after Resume was asked).
      const restart = events.findIndex((e, i) => i >= before && e.type === 'status' && e.experimentId === paused.id && e.status === 'running');
      expect(restart).toBeGreaterThan(0);
      const afterResume = events.slice(restart).filter((e) => e.type === 'progress' && e.experimentId === paused.id);
      expect(afterResume.length).toBeGreaterThan(0);
      // Progress goes on from the checkpoint; it never starts the run again at iteration 0.
      for (const e of afterResume) if (e.type === 'progress') expect(e.iteration).toBeGreaterThanOrEqual(kept!.iteration);

      const straight = services.experiments.create({ ...SPEC, name: 'never paused' });
      await until(services, straight.id, 'completed');
      const a = services.experiments.get(paused.id).runs.map(withoutTime);
      const b = services.experiments.get(straight.id).runs.map(withoutTime);
      expect(a).toHaveLength(1);
      expect(a).toEqual(b);
    } finally {
      await services.close();
    }
  });
});
