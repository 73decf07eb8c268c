import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLabServices } from '../../src/main/services';
import { createSlurmExperiment } from '../../src/main/slurm';
import { openStore } from '../../src/main/store';
import { PRESETS } from '../../src/shared/presets';
import { SpecError } from '../../src/shared/spec';

describe('a spec meets its dataset before it is stored (every front door goes through here)', () => {
  const home = mkdtempSync(join(tmpdir(), 'lth-spec-dataset-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('refuses a validation hold-out of 70,000 on MNIST (60,000 training examples), naming the field, and stores nothing', async () => {
    const services = await createLabServices({ home, backend: 'cpu', lazyBackend: true });
    try {
      const lenet = PRESETS.find((p) => p.id === 'lenet300-mnist')!.spec;
      const bad = { ...lenet, training: { ...lenet.training, iterations: 10, validationSize: 70_000 } };
      let thrown: unknown;
      try {
        services.experiments.create(bad);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(SpecError);
      expect((thrown as SpecError).issues).toEqual([{ path: 'training.validationSize', message: expect.stringContaining('not below the 60,000 training examples') }]);
      expect(services.experiments.list()).toEqual([]);
      // The largest hold-out that leaves one example to train on is accepted.
      const ok = services.experiments.create({ ...bad, training: { ...bad.training, validationSize: 59_999 } });
      expect(ok.status).toBe('queued');
      services.experiments.cancel(ok.id);
    } finally {
      await services.close();
    }
  });

  it('the Slurm path refuses it the same way, before anything is stored', async () => {
    const services = await createLabServices({ home, backend: 'cpu', lazyBackend: true });
    await services.close();
    const store = openStore({ dataDir: home });
    try {
      const before = store.experiments.list().length;
      const lenet = PRESETS.find((p) => p.id === 'lenet300-mnist')!.spec;
      expect(() => createSlurmExperiment(store, { ...lenet, training: { ...lenet.training, iterations: 10, validationSize: 60_000 } })).toThrow(/training\.validationSize: 60,000 is not below the 60,000 training examples/);
      expect(store.experiments.list()).toHaveLength(before);
    } finally {
      store.close();
    }
  });
});
