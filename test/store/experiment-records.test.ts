import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/main/store';
import { MLP_SHAPE, mlpSpec, tempStore } from './helpers';

let store: Store;
let done: () => void;
beforeEach(() => {
  ({ store, done } = tempStore());
  store.datasets.put({
    id: 'tiny', name: 'Tiny', source: 'idx', folder: '/nowhere', shape: MLP_SHAPE, numClasses: 3, classNames: ['a', 'b', 'c'],
    trainCount: 10, testCount: 5, trainClassCounts: [4, 3, 3], testClassCounts: [2, 2, 1], hash: 'dhash',
  });
});
afterEach(() => done());

describe('experiments as records (migration 007)', () => {
  it('keeps name, notes and tags apart from the spec, which never changes', () => {
    const e = store.experiments.create({ spec: mlpSpec(), datasetHash: 'dhash', versions: { lthLab: 't', tfjs: 't' } });
    expect(store.experiments.get(e.id)).toMatchObject({ notes: '', tags: [] });
    const hash = store.experimentDetail(e.id).specHash;
    const u = store.experiments.update(e.id, { name: '  late rewinding  ', notes: 'k = 500 looks stable', tags: ['lenet', ' rewind ', 'lenet', ''] });
    expect(u).toMatchObject({ name: 'late rewinding', notes: 'k = 500 looks stable', tags: ['lenet', 'rewind'] });
    expect(store.experiments.list()[0]).toMatchObject({ tags: ['lenet', 'rewind'] });
    expect(store.experimentDetail(e.id).specHash).toBe(hash);
    expect(store.experiments.spec(e.id).name).toBe('tiny mlp');
    expect(() => store.experiments.update(e.id, { name: ' ' })).toThrow(/cannot be empty/);
    expect(() => store.experiments.update(e.id, { tags: ['x'.repeat(65)] })).toThrow(/at most 64 characters/);
    expect(() => store.experiments.update('e_nope', { notes: '' })).toThrow(/not found/);
  });
});
