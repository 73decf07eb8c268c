import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLabServices } from '../../src/main/services';
import { createSlurmExperiment } from '../../src/main/slurm';
import { writeRecord } from '../../src/main/slurm/record';
import { openStore } from '../../src/main/store';
import { PRESETS } from '../../src/shared/presets';

/** The window shows Pause beside any running experiment; on Slurm it must say what to do instead (no cluster needed). */
describe('window actions on a Slurm experiment', () => {
  const homes: string[] = [];
  afterEach(() => {
    for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
  });

  it('Pause is refused in words that point to Cancel and Resume; a local experiment still gets the local answer', async () => {
    const home = mkdtempSync(join(tmpdir(), 'lth-slurm-pause-'));
    homes.push(home);
    const services = await createLabServices({ home, backend: 'cpu', lazyBackend: true });
    const store = openStore({ dataDir: home });
    try {
      const spec = { ...PRESETS[0]!.spec, trials: 2, training: { ...PRESETS[0]!.spec.training, iterations: 30 }, pruning: { ...PRESETS[0]!.spec.pruning, rounds: 1 } };
      const id = createSlurmExperiment(store, spec);
      writeRecord(store, { experimentId: id, folder: join(home, 'shared', id), profile: {}, jobs: [{ jobId: '7', trials: [0, 1], submittedAt: new Date().toISOString() }], states: {}, checkedAt: null, syncedAt: null });
      store.experiments.setStatus(id, 'running');
      expect(() => services.experiments.pause(id)).toThrow(`experiment ${id} runs on Slurm, which cannot pause a job array: Cancel stops its jobs (finished runs are kept) and Resume resubmits the missing trials`);
      const local = createSlurmExperiment(store, spec);
      expect(() => services.experiments.pause(local)).toThrow(/is not running or queued in this process/);
    } finally {
      store.close();
      await services.close();
    }
  });
});
