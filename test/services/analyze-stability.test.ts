import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLabServices } from '../../src/main/services';
import { createDispatcher } from '../../src/main/server/dispatch';
import { PRESETS } from '../../src/shared/presets';

describe('an instability analysis started through the API (the window), not only the CLI', () => {
  const home = mkdtempSync(join(tmpdir(), 'lth-analyze-api-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('from an experiment: the same network, dataset and training, every round as a starting point; bad input stores nothing', async () => {
    const services = await createLabServices({ home, backend: 'cpu', lazyBackend: true });
    const dispatch = createDispatcher(services);
    try {
      const lenet = PRESETS.find((p) => p.id === 'lenet300-mnist')!.spec;
      const source = services.experiments.create({ ...lenet, name: 'lr rewind', pruning: { ...lenet.pruning, rounds: 3, retrain: 'lr-rewind', rewindIteration: 20 }, training: { ...lenet.training, iterations: 100, evalInterval: 50 } });
      services.experiments.cancel(source.id);

      const r = await dispatch('experiments.analyzeStability', { experimentId: source.id, interpolationPoints: 10 });
      expect(r.ok).toBe(true);
      const created = (r as { data: { id: string; name: string } }).data;
      expect(created.name).toBe(`Instability of experiment ${source.id}`);
      const spec = services.experiments.get(created.id).spec;
      const src = services.experiments.get(source.id).spec;
      expect(spec.stability).toMatchObject({ sourceExperimentId: source.id, interpolationPoints: 10, threshold: 0.02 });
      expect(spec.network).toEqual(src.network);
      expect(spec.training).toEqual(src.training);
      expect(spec.dataset).toBe(src.dataset);
      expect(spec.pruning.rounds).toBe(3);
      expect(spec.controls).toEqual([]);
      services.experiments.cancel(created.id);

      const count = services.experiments.list().length;
      const both = await dispatch('experiments.analyzeStability', { experimentId: source.id, ticketId: 't_x' });
      expect(both).toMatchObject({ ok: false, error: { code: 'invalid', field: 'experimentId' } });
      const neither = await dispatch('experiments.analyzeStability', {});
      expect(neither).toMatchObject({ ok: false, error: { code: 'invalid', field: 'experimentId' } });
      const missing = await dispatch('experiments.analyzeStability', { experimentId: 'e_nope' });
      expect(missing).toMatchObject({ ok: false, error: { code: 'not_found' } });
      const badAlphas = await dispatch('experiments.analyzeStability', { experimentId: source.id, interpolationPoints: 1 });
      expect(badAlphas).toMatchObject({ ok: false, error: { code: 'invalid', field: 'interpolationPoints' } });
      expect(services.experiments.list()).toHaveLength(count);
    } finally {
      await services.close();
    }
  });
});
