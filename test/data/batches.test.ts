import { describe, expect, it } from 'vitest';
import { exampleOrder, fillBatch, normalizationTable, splitTrainValidation } from '../../src/main/engine/data/batches';
import { mixSeed, mulberry32, permutation } from '../../src/main/engine/data/rng';
import type { LoadedDataset } from '../../src/main/engine/data/types';

function isPermutationOf(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  return a.length === b.length && [...Array.from(a)].sort((x, y) => x - y).join() === [...Array.from(b)].sort((x, y) => x - y).join();
}

describe('rng', () => {
  it('mulberry32 is deterministic and roughly uniform', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(xs);
    expect(mulberry32(43).nextUint32()).not.toBe(xs[0]);
    const r = mulberry32(1);
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < 100_000; i++) buckets[r.int(10)]++;
    for (const k of buckets) expect(Math.abs(k - 10_000)).toBeLessThan(500);
    for (let i = 0; i < 1000; i++) {
      const x = r.next();
      expect(x >= 0 && x < 1).toBe(true);
    }
  });

  it('mixSeed separates streams', () => {
    expect(mixSeed(1, 2)).not.toBe(mixSeed(2, 1));
    expect(mixSeed(1, 0)).not.toBe(mixSeed(1, 1));
    expect(mixSeed(7, 3)).toBe(mixSeed(7, 3));
    expect(isPermutationOf(permutation(100, 5), Array.from({ length: 100 }, (_, i) => i))).toBe(true);
  });
});

describe('splitTrainValidation', () => {
  it('is deterministic per seed, disjoint and complete', () => {
    const a = splitTrainValidation(60000, 5000, 3);
    const b = splitTrainValidation(60000, 5000, 3);
    const c = splitTrainValidation(60000, 5000, 4);
    const same = (x: Uint32Array, y: Uint32Array) => Buffer.from(x.buffer).equals(Buffer.from(y.buffer));
    expect(same(a.valIdx, b.valIdx)).toBe(true);
    expect(same(a.trainIdx, b.trainIdx)).toBe(true);
    expect(same(c.valIdx, a.valIdx)).toBe(false);
    expect(a.valIdx.length).toBe(5000);
    expect(a.trainIdx.length).toBe(55000);
    const seen = new Uint8Array(60000);
    for (const i of a.valIdx) seen[i]!++;
    for (const i of a.trainIdx) seen[i]!++;
    expect(seen.every((v) => v === 1)).toBe(true);
    expect(a.trainIdx.every((v, i) => i === 0 || v > a.trainIdx[i - 1]!)).toBe(true);
  });

  it('rejects impossible sizes', () => {
    expect(() => splitTrainValidation(10, 10, 1)).toThrow(RangeError);
    expect(() => splitTrainValidation(10, -1, 1)).toThrow(RangeError);
    expect(splitTrainValidation(10, 0, 1).trainIdx.length).toBe(10);
  });
});

describe('exampleOrder', () => {
  const trainIdx = Uint32Array.from({ length: 50 }, (_, i) => 1000 + 2 * i);

  it('makes each epoch a permutation of the training indices, different per epoch', () => {
    const order = exampleOrder(trainIdx, 9, 10);
    const epoch0 = [0, 1, 2, 3, 4].flatMap((i) => Array.from(order(i)));
    const epoch1 = [5, 6, 7, 8, 9].flatMap((i) => Array.from(order(i)));
    expect(isPermutationOf(epoch0, trainIdx)).toBe(true);
    expect(isPermutationOf(epoch1, trainIdx)).toBe(true);
    expect(epoch0).not.toEqual(epoch1);
  });

  it('batches that straddle epochs continue the stream', () => {
    const B = 7; // 50 is not a multiple of 7
    const order = exampleOrder(trainIdx, 9, B);
    const stream = Array.from({ length: 30 }, (_, i) => Array.from(order(i))).flat();
    for (let e = 0; e < 4; e++) expect(isPermutationOf(stream.slice(e * 50, e * 50 + 50), trainIdx)).toBe(true);
  });

  it('computes any iteration directly, as a fresh order (resume) would', () => {
    const a = exampleOrder(trainIdx, 123, 7);
    const seq = Array.from({ length: 40 }, (_, i) => Array.from(a(i)));
    const b = exampleOrder(trainIdx, 123, 7);
    for (const i of [33, 2, 39, 15, 0]) expect(Array.from(b(i))).toEqual(seq[i]);
    const out = new Uint32Array(7);
    expect(b(21, out)).toBe(out);
    expect(Array.from(out)).toEqual(seq[21]);
    expect(Array.from(exampleOrder(trainIdx, 124, 7)(0))).not.toEqual(seq[0]);
  });

  it('handles a batch larger than the training set', () => {
    const order = exampleOrder(Uint32Array.from([4, 5, 6]), 1, 7);
    const b = Array.from(order(0));
    expect(b).toHaveLength(7);
    expect(isPermutationOf(b.slice(0, 3), [4, 5, 6])).toBe(true);
    expect(isPermutationOf(b.slice(3, 6), [4, 5, 6])).toBe(true);
  });

  it('is fast enough for the hot loop', () => {
    const order = exampleOrder(Uint32Array.from({ length: 55000 }, (_, i) => i), 1, 60);
    const out = new Uint32Array(60);
    const t0 = performance.now();
    for (let i = 0; i < 10_000; i++) order(i, out);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

function dataset(shape: [number, number, number], images: number[], labels: number[], numClasses: number, mean: number[], std: number[]): LoadedDataset {
  return {
    id: 't', hash: '', shape, numClasses, classNames: Array.from({ length: numClasses }, (_, i) => String(i)),
    trainImages: Uint8Array.from(images), trainLabels: Uint8Array.from(labels),
    testImages: Uint8Array.from(images.map((v) => 255 - v)), testLabels: Uint8Array.from(labels),
    mean, std,
  };
}

describe('fillBatch', () => {
  it('normalises grey pixels per (x/255 - mean)/std and writes class indices', () => {
    const ds = dataset([1, 2, 1], [0, 255, 51, 102, 255, 0], [2, 0, 1], 3, [0.2], [0.5]);
    const out = new Float32Array(2 * 2).fill(99);
    const labels = new Int32Array(2);
    fillBatch(ds, [2, 1], out, labels);
    expect(Array.from(out)).toEqual([2 - 0.4, -0.4, 0.2 / 0.5 - 0.4, 0.4 / 0.5 - 0.4].map(Math.fround));
    expect(Array.from(labels)).toEqual([1, 0]);
    fillBatch(ds, [0], out, null, 'test');
    expect(out[0]).toBeCloseTo(1.6, 6); // test image 0 is 255 - 0
  });

  it('normalises RGB per channel in HWC order and writes one-hot labels', () => {
    const ds = dataset([1, 1, 3], [255, 0, 51, 0, 255, 255], [1, 0], 2, [0.5, 0.25, 0.1], [0.5, 0.25, 0.2]);
    const out = new Float32Array(6);
    const oneHot = new Float32Array(4).fill(7);
    fillBatch(ds, Uint32Array.from([0, 1]), out, oneHot);
    expect(out[0]).toBeCloseTo(1, 6);
    expect(out[1]).toBeCloseTo(-1, 6);
    expect(out[2]).toBeCloseTo((0.2 - 0.1) / 0.2, 6);
    expect(out[3]).toBeCloseTo(-1, 6);
    expect(out[4]).toBeCloseTo(3, 6);
    expect(out[5]).toBeCloseTo(4.5, 6);
    expect(Array.from(oneHot)).toEqual([0, 1, 1, 0]);
  });

  it('divides by 1 for a constant channel instead of producing NaN', () => {
    const ds = dataset([1, 1, 1], [10, 10], [0, 1], 2, [10 / 255], [0]);
    expect(Array.from(normalizationTable(ds).subarray(9, 12)).map((v) => Math.round(v * 255))).toEqual([-1, 0, 1]);
  });

  it('checks buffer sizes and indices', () => {
    const ds = dataset([1, 2, 1], [0, 1, 2, 3], [0, 1], 2, [0], [1]);
    expect(() => fillBatch(ds, [0, 1], new Float32Array(3), null)).toThrow(/out holds 3 floats/);
    expect(() => fillBatch(ds, [2], new Float32Array(2), null)).toThrow(/index 2 outside the train set of 2/);
    expect(() => fillBatch(ds, [0, 1], new Float32Array(4), new Float32Array(3))).toThrow(/outLabels holds 3/);
  });

  it('fills a 60-image MNIST-sized batch quickly', () => {
    const n = 1000;
    const ds = dataset([28, 28, 1], Array.from({ length: n * 784 }, (_, i) => i % 256), Array.from({ length: n }, (_, i) => i % 10), 10, [0.13], [0.31]);
    const out = new Float32Array(60 * 784);
    const labels = new Int32Array(60);
    const idx = Uint32Array.from({ length: 60 }, (_, i) => (i * 17) % n);
    const t0 = performance.now();
    for (let i = 0; i < 2000; i++) fillBatch(ds, idx, out, labels);
    const perBatch = (performance.now() - t0) / 2000;
    console.log(`fillBatch 60x784: ${(perBatch * 1000).toFixed(1)} µs per batch`);
    // About 0.2 ms on CI; the bound catches an accidental per-pixel allocation or a quadratic copy, not load.
    expect(perBatch).toBeLessThan(5);
    // Example idx[1] = 17 starts at pixel 17*784; pixel j of it holds (17*784 + j) % 256.
    expect(out[784 + 5]).toBeCloseTo(((17 * 784 + 5) % 256 / 255 - 0.13) / 0.31, 5);
    expect(labels[1]).toBe(7);
  });
});

describe('classSamples', () => {
  it('returns the first perClass images of each class, HWC values', async () => {
    const { classSamples } = await import('../../src/main/engine/data/samples');
    const ds = dataset([1, 2, 1], [1, 2, 3, 4, 5, 6, 7, 8], [1, 0, 1, 1], 3, [0], [1]);
    const s = classSamples(ds, 2, 'train');
    expect(s.map((c) => c.images)).toEqual([[[3, 4]], [[1, 2], [5, 6]], []]);
    expect(s[2]).toMatchObject({ classIndex: 2, className: '2' });
    expect(classSamples(ds, 1, 'test')[0]!.images).toEqual([[252, 251]]);
  });
});
