// @vitest-environment happy-dom
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { useDatasetsStore } from '../../src/renderer/src/stores/datasets';
import { useExperimentsStore } from '../../src/renderer/src/stores/experiments';
import { useTicketsStore } from '../../src/renderer/src/stores/tickets';
import { formFromPreset, parseLayers, specFromForm, validate } from '../../src/renderer/src/lib/wizard-form';
import { estimateRun, plannedLayers, remainingPerRound } from '../../src/renderer/src/lib/estimate';
import { PRESETS } from '../../src/shared/presets';
import { parseSpec } from '../../src/shared/spec';
import { installFakeLab } from './setup';
import { ticket } from '../contract/fixtures';

let lab: ReturnType<typeof installFakeLab>;
beforeEach(() => {
  lab = installFakeLab();
});

describe('datasets store', () => {
  it('loads, selects the first dataset and caches samples', async () => {
    const s = useDatasetsStore();
    await s.load();
    expect(s.list.map((d) => d.id)).toEqual(['mnist']);
    expect(s.selectedId).toBe('mnist');
    const spy = vi.spyOn(lab.services.datasets, 'samples');
    const a = await s.loadSamples('mnist', 4);
    expect(a.classes).toHaveLength(10);
    await s.loadSamples('mnist', 4);
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it('puts an import failure beside the folder field', async () => {
    lab.services.datasets.import = async () => {
      throw Object.assign(new Error('train-labels-idx1-ubyte: 10 labels for 12 images'), { name: 'DatasetError' });
    };
    const s = useDatasetsStore();
    expect(await s.importFolder('idx', '/data/bad')).toBeNull();
    expect(s.importErrors).toEqual({ folder: 'train-labels-idx1-ubyte: 10 labels for 12 images' });
    expect(await s.importFolder('idx', '')).toBeNull();
    expect(s.importErrors['folder']).toBe('Folder cannot be empty');
  });
});

describe('experiments store', () => {
  it('builds the live curve from progress events and refreshes once per burst', async () => {
    vi.useFakeTimers();
    const s = useExperimentsStore();
    s.listen();
    const base = { type: 'progress', experimentId: 'e1', trial: 0, variant: 'ticket', round: 1, startIteration: 0, totalIterations: 300, testAccuracy: 0.9, fractionDone: 0.5, etaSeconds: 12 } as const;
    lab.services.emit({ ...base, iteration: 10, valAccuracy: null, valLoss: null });
    lab.services.emit({ ...base, iteration: 100, valAccuracy: 0.9, valLoss: 0.3, evalIteration: 100 });
    lab.services.emit({ ...base, iteration: 150, valAccuracy: 0.9, valLoss: 0.3, evalIteration: 100 });
    lab.services.emit({ ...base, iteration: 200, valAccuracy: 0.93, valLoss: 0.25, evalIteration: 200 });
    expect(s.live['e1']!.points.map((p) => p.iteration)).toEqual([100, 200]);
    lab.services.emit({ ...base, round: 2, iteration: 100, valAccuracy: 0.95, valLoss: 0.2, evalIteration: 100 });
    expect(s.live['e1']!.points).toHaveLength(1);
    const spy = vi.spyOn(lab.services.experiments, 'list');
    lab.services.emit({ type: 'status', experimentId: 'e1', status: 'completed', error: null });
    lab.services.emit({ type: 'status', experimentId: 'e1', status: 'completed', error: null });
    await vi.advanceTimersByTimeAsync(200);
    expect(spy).toHaveBeenCalledTimes(1);
    vi.useRealTimers();
  });

  it('plots an evaluation once, at its own iteration, whatever the progress ticks and packed runs in turn', () => {
    const s = useExperimentsStore();
    s.listen();
    const base = { type: 'progress', experimentId: 'e1', trial: 0, round: 1, startIteration: 0, totalIterations: 150, testAccuracy: 0.9, fractionDone: 0.5, etaSeconds: 12 } as const;
    // Two packed runs report in turns every few iterations; each evaluates every 50.
    for (let it = 0; it <= 150; it += 4) {
      for (const variant of ['ticket', 'reinit'] as const) {
        const evalAt = Math.floor(it / 50) * 50;
        lab.services.emit({ ...base, variant, iteration: it, valAccuracy: 0.5 + evalAt / 1000, valLoss: 1 - evalAt / 1000, evalIteration: evalAt });
      }
    }
    expect(s.live['e1']!.key).toBe('0:reinit:1');
    expect(s.live['e1']!.points.map((p) => p.iteration)).toEqual([0, 50, 100]);
    expect(s.live['e1']!.points.map((p) => p.valAccuracy)).toEqual([0.5, 0.55, 0.6]);
  });

  it('creates through the contract and selects the new experiment', async () => {
    const s = useExperimentsStore();
    const created = await s.create({ ...PRESETS[0]!.spec, training: { ...PRESETS[0]!.spec.training, iterations: 200 } });
    expect(created.status).toBe('queued');
    expect(s.selectedId).toBe(created.id);
    await expect(s.create({ ...PRESETS[0]!.spec, trials: 0 })).rejects.toMatchObject({ code: 'invalid', field: 'trials' });
  });
});

describe('tickets store', () => {
  it('filters by text, dataset, network, tag and sparsity', async () => {
    const s = useTicketsStore();
    s.list = [ticket('a', 1, { tags: ['keep'] }), ticket('b', 2, { datasetId: 'fashion', name: 'Fashion ticket' }), ticket('c', 3)];
    expect(s.filtered).toHaveLength(3);
    s.filter.text = 'fashion';
    expect(s.filtered.map((t) => t.id)).toEqual(['b']);
    s.filter.text = '';
    s.filter.tag = 'keep';
    expect(s.filtered.map((t) => t.id)).toEqual(['a']);
    s.filter.tag = '';
    s.filter.maxRemaining = 0.6;
    expect(s.filtered.map((t) => t.id)).toEqual(['c']);
    expect(s.facets.datasets).toEqual(['fashion', 'mnist']);
    expect(s.facets.networks).toEqual(['LeNet-300-100']);
    expect(s.diskBytes).toBe(360_000);
  });
});

describe('wizard form', () => {
  it('turns the paper preset into a spec that passes the shared schema', () => {
    const f = formFromPreset(PRESETS[0]!);
    const { spec, localErrors } = specFromForm(f, PRESETS[0]);
    expect(localErrors).toEqual({});
    expect(validate(spec)).toEqual({});
    expect(parseSpec(spec)).toMatchObject({ network: { preset: 'lenet300', dense: [300, 100] }, training: { iterations: 50_000, learningRate: 0.0012 }, pruning: { rounds: 19 } });
  });

  it('names the field of every problem', () => {
    const f = formFromPreset(PRESETS[0]!);
    f.training.iterations = 0;
    f.pruning.rates.dense = 1;
    f.denseText = '300, abc';
    const { spec, localErrors } = specFromForm(f, PRESETS[0]);
    expect(localErrors['network.dense']).toMatch(/abc/);
    const errs = validate(spec);
    expect(Object.keys(errs)).toEqual(expect.arrayContaining(['training.iterations', 'pruning.rates.dense']));
    expect(parseLayers('64, 64, pool', true)).toEqual({ layers: [64, 64, 'pool'] });
    expect(parseLayers('64 pool', false).error).toMatch(/pool/);
  });

  it('drops the preset name once the layers are edited', () => {
    const f = formFromPreset(PRESETS[0]!);
    f.denseText = '100';
    expect(specFromForm(f, PRESETS[0]).spec.network.preset).toBeUndefined();
  });
});

describe('review estimates', () => {
  it('counts LeNet-300-100 weights and the paper pruning schedule', () => {
    const layers = plannedLayers({ conv: [], dense: [300, 100] }, [28, 28, 1], 10);
    expect(layers.map((l) => l.weights)).toEqual([235200, 30000, 1000]);
    const rem = remainingPerRound(layers, { strategy: 'layerwise', rates: { conv: 0.1, dense: 0.2, output: 0.1 }, globalRate: 0.2, rounds: 3 });
    expect(rem[0]).toBe(1);
    expect(rem[1]).toBeCloseTo((265200 * 0.8 + 1000 * 0.9) / 266200, 10);
    const conv2 = plannedLayers({ conv: [64, 64, 'pool'], dense: [256, 256] }, [32, 32, 3], 10);
    expect(conv2.reduce((a, l) => a + l.weights, 0)).toBe(4_300_992);
  });

  it('estimates about 20 s for 1,000 LeNet iterations on wasm (47 steps/s measured)', () => {
    const layers = plannedLayers({ conv: [], dense: [300, 100] }, [28, 28, 1], 10);
    const spec = parseSpec({ ...PRESETS[0]!.spec, training: { ...PRESETS[0]!.spec.training, iterations: 200 }, pruning: { ...PRESETS[0]!.spec.pruning, rounds: 3 }, controls: ['reinit'], trials: 1 });
    const e = estimateRun(spec, layers, 'wasm');
    expect(e.runs).toBe(5);
    expect(e.seconds).toBeGreaterThan(15);
    expect(e.seconds).toBeLessThan(35);
  });
});
