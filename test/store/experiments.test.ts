import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreError, type Store } from '../../src/main/store';
import { parseSpec } from '../../src/shared/spec';
import { density, maskedWeights, mlpLayers, mlpSpec, MLP_SHAPE, randomMask, randomWeights, run, sameWeights, tempStore } from './helpers';

const versions = { lthLab: '0.1.0', tfjs: '4.22.0' };
let store: Store;
let done: () => void;
beforeEach(() => {
  ({ store, done } = tempStore());
  store.datasets.put({
    id: 'tiny',
    name: 'Tiny',
    source: 'idx',
    folder: '/nowhere',
    shape: MLP_SHAPE,
    numClasses: 3,
    classNames: ['a', 'b', 'c'],
    trainCount: 10,
    testCount: 5,
    trainClassCounts: [4, 3, 3],
    testClassCounts: [2, 2, 1],
    hash: 'dhash',
    diskBytes: 123,
  });
});
afterEach(() => done());

function count(table: string, id: string): number {
  return (store.db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE experiment_id = ?`).get(id) as { n: number }).n;
}

/** An experiment with 2 trials x 3 rounds driven through the sink, as the IMP driver would. */
function filledExperiment() {
  const layers = mlpLayers();
  const e = store.experiments.create({ spec: mlpSpec(), datasetHash: 'dhash', versions, layers });
  store.experiments.markRunning(e.id, { backend: 'cpu', ownerPid: process.pid });
  const sink = store.sinkFor(e.id);
  const rewind = [randomWeights(layers, 11), randomWeights(layers, 12)];
  const masks = new Map<string, Uint8Array[]>();
  const trained = new Map<string, ReturnType<typeof randomWeights>>();
  for (const trial of [0, 1]) {
    sink.saveRewindWeights(trial, rewind[trial]!);
    for (const round of [0, 1, 2]) {
      const mask = randomMask(layers, round === 0 ? 1 : 0.8 ** round, 100 + trial * 10 + round);
      if (round > 0) sink.saveMask(trial, round, mask);
      masks.set(`${trial}:${round}`, mask);
      const d = density(mask);
      const w = maskedWeights(randomWeights(layers, 1000 + trial * 10 + round), mask);
      sink.saveTrainedWeights(trial, round, w);
      trained.set(`${trial}:${round}`, w);
      sink.saveRun(run(trial, 'ticket', round, { weightsRemaining: d.total, layerDensity: d.layer }));
      if (round > 0) sink.saveRun(run(trial, 'reinit', round, { valAccuracy: 0.7 }));
    }
  }
  return { e, layers, rewind, masks, trained };
}

describe('experiments', () => {
  it('creates with a short id and the spec hash, lists and reads back', () => {
    const e = store.experiments.create({ spec: mlpSpec(), datasetHash: 'dhash', versions });
    expect(e.id).toMatch(/^e_[0-9a-hjkmnp-tv-z]{10}$/);
    expect(e).toMatchObject({ name: 'tiny mlp', status: 'queued', datasetId: 'tiny', roundsDone: 0, roundsPlanned: 3, winningTicket: null });
    const d = store.experimentDetail(e.id);
    expect(d.spec).toEqual(mlpSpec());
    expect(d.specHash).toMatch(/^[0-9a-f]{64}$/);
    expect(d.layers).toEqual([]);
    expect(d.winningTicketReason).toMatch(/dense network/);
    expect(store.experiments.list().map((x) => x.id)).toEqual([e.id]);
    expect(() => store.experiments.get('e_nope')).toThrow(StoreError);
    expect(() => store.sinkFor(e.id).saveMask(0, 1, [])).toThrow(/no layers yet/);
    store.experiments.setLayers(e.id, mlpLayers());
    expect(store.experimentDetail(e.id).layers).toEqual(mlpLayers());
  });

  it('tracks status, owner and heartbeat', () => {
    const e = store.experiments.create({ spec: mlpSpec(), datasetHash: 'dhash', versions, layers: mlpLayers() });
    store.experiments.markRunning(e.id, { backend: 'wasm', ownerPid: 4242 });
    let s = store.experiments.get(e.id);
    expect(s.status).toBe('running');
    expect(s.backend).toBe('wasm');
    expect(s.startedAt).not.toBeNull();
    expect(store.experiments.liveness(e.id)).toMatchObject({ status: 'running', ownerPid: 4242 });
    store.experiments.setStatus(e.id, 'failed', 'out of memory');
    s = store.experiments.get(e.id);
    expect(s).toMatchObject({ status: 'failed', error: 'out of memory' });
    expect(s.finishedAt).not.toBeNull();
    expect(store.experiments.liveness(e.id).ownerPid).toBeNull();
  });

  it('counts an early bird\'s rounds once: its mask-distance series are not rounds of their own', () => {
    const { e } = filledExperiment();
    const sink = store.sinkFor(e.id);
    for (const trial of [0, 1]) for (const round of [0, 1, 2]) sink.saveAnalysis!('early-bird', trial, round, { epsilon: 0.1, patience: 2, iterations: [], distances: [], detectedAt: null, stopped: false });
    expect(store.experiments.get(e.id)).toMatchObject({ roundsDone: 3, roundsPlanned: 3 });
  });

  it('says what each experiment is, and plans an instability analysis by its starting points, not its pruning rounds', () => {
    const imp = store.experiments.create({ spec: mlpSpec(), datasetHash: 'dhash', versions });
    const eb = store.experiments.create({ spec: { ...mlpSpec(), earlyBird: { epsilon: 0.1, patience: 2, prune: true } }, datasetHash: 'dhash', versions });
    const stab = store.experiments.create({ spec: { ...mlpSpec(), stability: { rewindPoints: [0, 10], interpolationPoints: 5, threshold: 0.02 } }, datasetHash: 'dhash', versions });
    const from = store.experiments.create({ spec: { ...mlpSpec(), stability: { rewindPoints: [0], interpolationPoints: 5, threshold: 0.02, sourceExperimentId: imp.id } }, datasetHash: 'dhash', versions });
    expect(store.experiments.get(imp.id)).toMatchObject({ kind: 'imp', roundsPlanned: 3 });
    expect(store.experiments.get(eb.id)).toMatchObject({ kind: 'early-bird', roundsPlanned: 3 });
    expect(store.experiments.get(stab.id)).toMatchObject({ kind: 'instability', roundsPlanned: 2 });
    expect(store.experiments.get(from.id)).toMatchObject({ kind: 'instability', roundsPlanned: 3 });
  });

  it('round-trips runs with curves (null train loss, NaN and Infinity metrics) and names the winning ticket', () => {
    const { e } = filledExperiment();
    store.sinkFor(e.id).saveRun(run(0, 'random', 1, { valLoss: NaN, finalTestAccuracy: Infinity }));
    const d = store.experimentDetail(e.id);
    expect(d.runs).toHaveLength(2 * 3 + 2 * 2 + 1);
    const expected = run(0, 'random', 1, { valLoss: NaN, finalTestAccuracy: Infinity });
    const got = d.runs.find((r) => r.variant === 'random')!;
    expect(got).toEqual(expected);
    expect(got.curve[0]!.trainLoss).toBeNull();
    expect(d.runs[0]).toMatchObject({ variant: 'ticket', round: 0, trial: 0 });
    expect(d.roundsDone).toBe(3);
    expect(d.winningTicket).toMatchObject({ round: 2 });
    expect(store.experiments.get(e.id).winningTicket).toEqual(d.winningTicket);
    expect(d.winningTicketReason).toBeNull();
    // Saving the same run again replaces it (a resumed attempt redoing it).
    store.sinkFor(e.id).saveRun(run(0, 'random', 1, { valAccuracy: 0.1 }));
    const again = store.experimentDetail(e.id).runs.filter((r) => r.variant === 'random');
    expect(again).toHaveLength(1);
    expect(again[0]!.valAccuracy).toBe(0.1);
  });

  it('resumeState returns exactly what the sink saved, bit for bit', () => {
    const { e, rewind, masks, trained } = filledExperiment();
    const state = store.resumeState(e.id);
    expect([...state.rewindWeights.keys()].sort()).toEqual([0, 1]);
    expect(sameWeights(state.rewindWeights.get(0)!, rewind[0]!)).toBe(true);
    expect(sameWeights(state.rewindWeights.get(1)!, rewind[1]!)).toBe(true);
    expect([...state.masks.keys()].sort()).toEqual(['0:1', '0:2', '1:1', '1:2']);
    for (const [k, m] of state.masks) expect(m.map((x) => Array.from(x))).toEqual(masks.get(k)!.map((x) => Array.from(x)));
    expect(state.trainedWeights.size).toBe(6);
    for (const [k, w] of state.trainedWeights) expect(sameWeights(w, trained.get(k)!)).toBe(true);
    expect(state.runs).toHaveLength(10);
    expect(store.resumeState(store.experiments.create({ spec: mlpSpec(), datasetHash: 'x', versions }).id).runs).toEqual([]);
  });

  it('pruneTrainedWeights keeps only what is asked for', () => {
    const { e } = filledExperiment();
    const before = store.experiments.get(e.id).diskBytes;
    expect(store.pruneTrainedWeights(e.id, [{ trial: 1, round: 2 }])).toBe(5);
    const state = store.resumeState(e.id);
    expect([...state.trainedWeights.keys()]).toEqual(['1:2']);
    expect(state.rewindWeights.size).toBe(2);
    expect(store.experiments.get(e.id).diskBytes).toBe(before - 5 * 4 * 74);
  });

  it('refuses to change the layers once blobs exist', () => {
    const { e } = filledExperiment();
    const other = mlpLayers();
    other[0] = { ...other[0]!, name: 'renamed' };
    expect(() => store.experiments.setLayers(e.id, other)).toThrow(/already has masks/);
  });

  it('a sink of a deleted experiment fails clearly', () => {
    const { e, layers } = filledExperiment();
    const sink = store.sinkFor(e.id);
    sink.saveMask(0, 1, randomMask(layers, 0.5)); // layers are now cached by the sink
    store.experiments.delete(e.id);
    expect(() => sink.saveMask(0, 1, randomMask(layers, 0.5))).toThrow(/no longer exists/);
  });
});

describe('deletion and tickets', () => {
  it('names a pruning-at-init mask saved to the library by its density, not by a round', () => {
    const layers = mlpLayers();
    const spec = parseSpec({ ...mlpSpec(), pruning: { ...mlpSpec().pruning, method: 'snip', densities: [0.5, 0.2] } });
    const e = store.experiments.create({ spec, datasetHash: 'dhash', versions, layers });
    const sink = store.sinkFor(e.id);
    sink.saveRewindWeights(0, randomWeights(layers, 1));
    const mask = randomMask(layers, 0.2, 7);
    sink.saveMask(0, 2, mask);
    const d = density(mask);
    sink.saveRun(run(0, 'ticket', 2, { weightsRemaining: d.total, layerDensity: d.layer }));
    expect(store.tickets.save(e.id, 0, 2).name).toBe('tiny mlp · trial 0 density 20.0%');
  });

  it('deleting an experiment frees every row and blob; its tickets survive, self-contained', () => {
    const { e, layers, rewind, masks, trained } = filledExperiment();
    expect(store.experiments.get(e.id).diskBytes).toBeGreaterThan(6 * 4 * 74);
    const t = store.tickets.save(e.id, 1, 2, 'best so far');
    const t0 = store.tickets.save(e.id, 0, 0); // dense round: no stored mask, all ones
    store.pruneTrainedWeights(e.id, []);
    const tNoTrained = store.tickets.save(e.id, 0, 1);
    expect(tNoTrained.hasTrainedWeights).toBe(false);
    expect(t).toMatchObject({ name: 'best so far', experimentId: e.id, trial: 1, round: 2, datasetId: 'tiny', hasTrainedWeights: true });
    expect(t.network).toEqual(mlpSpec().network);
    expect(t0.name).toContain('trial 0 round 0');
    expect(t0.weightsRemaining).toBe(1);

    store.experiments.delete(e.id);
    for (const table of ['runs', 'masks', 'weights']) expect(count(table, e.id)).toBe(0);
    expect((store.db.prepare('SELECT COUNT(*) AS n FROM run_curves').get() as { n: number }).n).toBe(0);
    expect(store.diskUsage().experiments).toBe(0);
    expect(store.experiments.find(e.id)).toBeNull();

    const loaded = store.tickets.load(t.id);
    expect(loaded.liveExperimentId).toBeNull();
    expect(loaded.record.experimentId).toBe(e.id);
    expect(loaded.layers).toEqual(layers);
    expect(loaded.datasetShape).toEqual(MLP_SHAPE);
    expect(sameWeights(loaded.rewindWeights, rewind[1]!)).toBe(true);
    expect(sameWeights(loaded.trainedWeights!, trained.get('1:2')!)).toBe(true);
    expect(loaded.mask.map((m) => Array.from(m))).toEqual(masks.get('1:2')!.map((m) => Array.from(m)));
    expect(store.tickets.load(t0.id).mask.every((m) => m.every((v) => v === 1))).toBe(true);
    expect(store.tickets.list()).toHaveLength(3);
    expect(store.diskUsage().tickets).toBeGreaterThan(3 * 2 * 4 * 74);

    for (const x of store.tickets.list()) store.tickets.delete(x.id);
    expect(store.diskUsage()).toEqual({ experiments: 0, tickets: 0, datasets: 123 });
    expect(store.integrityProblems()).toEqual([]);
  });

  it('refuses tickets for runs, masks or weights that do not exist', () => {
    const { e } = filledExperiment();
    expect(() => store.tickets.save(e.id, 0, 7)).toThrow(/no finished ticket run for trial 0 round 7/);
    expect(() => store.tickets.save('e_missing', 0, 1)).toThrow(/not found/);
    store.db.prepare('DELETE FROM masks WHERE experiment_id = ? AND trial = 0 AND round = 1').run(e.id);
    expect(() => store.tickets.save(e.id, 0, 1)).toThrow(/no mask for trial 0 round 1/);
    expect(store.tickets.list()).toEqual([]);
  });

  it('updates name, notes and tags with validation', () => {
    const { e } = filledExperiment();
    const t = store.tickets.save(e.id, 0, 1);
    const u = store.tickets.update(t.id, { name: '  renamed ', notes: 'found on a Tuesday', tags: ['mnist', 'lenet', 'mnist'] });
    expect(u).toMatchObject({ name: 'renamed', notes: 'found on a Tuesday', tags: ['mnist', 'lenet'] });
    expect(() => store.tickets.update(t.id, { name: ' ' })).toThrow(/must not be empty/);
    expect(() => store.tickets.update(t.id, { tags: ['x'.repeat(65)] })).toThrow(/1 to 64/);
    expect(store.tickets.get(t.id).name).toBe('renamed');
    expect(() => store.tickets.update('t_missing', { name: 'x' })).toThrow(/not found/);
  });

  it('a dataset in use cannot be deleted', () => {
    filledExperiment();
    expect(() => store.datasets.delete('tiny')).toThrow(/used by 1 experiment/);
    expect(store.datasets.get('tiny')).toMatchObject({ shape: MLP_SHAPE, classNames: ['a', 'b', 'c'], diskBytes: 123 });
  });

  it('a failing multi-row write leaves no partial rows', () => {
    const { e } = filledExperiment();
    const runsBefore = store.experimentDetail(e.id).runs.length;
    // A run whose curve cannot be packed fails after its row insert: the transaction must undo the row.
    const bad = run(1, 'random', 2, { curve: [{ iteration: 0, trainLoss: null, valLoss: 1, valAccuracy: 1, testAccuracy: 1 }, null as never] });
    expect(() => store.sinkFor(e.id).saveRun(bad)).toThrow();
    expect(store.experimentDetail(e.id).runs.length).toBe(runsBefore);
  });
});
