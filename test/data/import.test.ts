import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DatasetError } from '../../src/main/engine/data/errors';
import { importDatasetFolder, removeStaleImports, slugify } from '../../src/main/engine/data/import';
import { clearDatasetCache, loadDataset } from '../../src/main/engine/data/load';
import { cleanupTemp, idxLabelsFile, makeCifarData, makeIdxData, tempDir, writeCifarFolder, writeIdxFolder } from './fixtures';

afterAll(cleanupTemp);

function listing(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

describe('importDatasetFolder', () => {
  it('copies an IDX folder (gz) into destRoot/<id>/ and describes it', async () => {
    const src = tempDir();
    const data = makeIdxData(40, 15, 6, 6, 3);
    writeIdxFolder(src, data, true);
    writeFileSync(join(src, 'notes.txt'), 'not copied');
    writeFileSync(join(src, '..evil'), 'not copied');
    const dest = join(tempDir(), 'datasets');
    const d = await importDatasetFolder('idx', src, dest, '  My Digits\n(v2)  ');
    expect(d.name).toBe('My Digits (v2)');
    expect(d.id).toMatch(/^my-digits-v2-[0-9a-f]{10}$/);
    expect(d.hash.startsWith(d.id.slice(-10))).toBe(true);
    expect(d.folder).toBe(join(dest, d.id));
    expect(d).toMatchObject({ source: 'idx', shape: [6, 6, 1], numClasses: 3, classNames: ['0', '1', '2'], trainCount: 40, testCount: 15 });
    const counts = [0, 0, 0];
    for (const l of data.trainLabels) counts[l]!++;
    expect(d.trainClassCounts).toEqual(counts);
    expect(d.testClassCounts.reduce((a, b) => a + b, 0)).toBe(15);
    expect(listing(dest)).toEqual([d.id]);
    expect(listing(d.folder)).toEqual([
      'classes.txt', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz', 'train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz',
    ]);
    expect(readFileSync(join(d.folder, 'classes.txt'), 'utf8')).toBe('0\n1\n2\n');
    expect(d.diskBytes).toBeGreaterThan(0);

    // Loadable from the descriptor alone (as another process would), with the same hash.
    clearDatasetCache();
    const ds = loadDataset(JSON.parse(JSON.stringify({ id: d.id, source: d.source, folder: d.folder, hash: d.hash })));
    expect(ds.hash).toBe(d.hash);
    expect(Array.from(ds.trainLabels)).toEqual(Array.from(data.trainLabels));

    // Importing the same data under the same name again is a no-op returning the same descriptor.
    const again = await importDatasetFolder('idx', src, dest, 'My Digits (v2)');
    expect(again).toEqual(d);
    expect(listing(dest)).toEqual([d.id]);
  });

  it('keeps Fashion-MNIST names through the store via classes.txt', async () => {
    const src = join(tempDir(), 'fashion-mnist');
    mkdirSync(src);
    writeIdxFolder(src, makeIdxData(20, 10));
    const dest = tempDir();
    const d = await importDatasetFolder('idx', src, dest);
    expect(d.name).toBe('fashion-mnist');
    expect(d.classNames[0]).toBe('T-shirt/top');
    clearDatasetCache();
    expect(loadDataset({ id: d.id, source: 'idx', folder: d.folder }).classNames).toEqual(d.classNames);
  });

  it('imports CIFAR-10 with the default name and class names', async () => {
    const src = tempDir();
    writeCifarFolder(src, makeCifarData(5));
    const dest = tempDir();
    const d = await importDatasetFolder('cifar10', src, dest);
    expect(d).toMatchObject({ name: 'CIFAR-10', source: 'cifar10', shape: [32, 32, 3], numClasses: 10, trainCount: 25, testCount: 5 });
    expect(d.classNames[0]).toBe('airplane');
    expect(listing(d.folder)).toEqual([
      'batches.meta.txt', 'data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin',
    ]);
    const ds = loadDataset({ id: d.id, source: 'cifar10', folder: d.folder, hash: d.hash });
    expect(ds.mean).toHaveLength(3);
  });

  it('a failing import leaves destRoot untouched (absent, or as it was)', async () => {
    const src = tempDir();
    writeIdxFolder(src, makeIdxData(10, 5));
    writeFileSync(join(src, 't10k-labels-idx1-ubyte'), idxLabelsFile(new Uint8Array(4)));
    const root = tempDir();
    const absent = join(root, 'not-yet');
    await expect(importDatasetFolder('idx', src, absent)).rejects.toThrow(DatasetError);
    expect(existsSync(absent)).toBe(false);

    const existing = join(root, 'store');
    mkdirSync(existing);
    writeFileSync(join(existing, 'keep.txt'), 'x');
    await expect(importDatasetFolder('idx', src, existing)).rejects.toThrow(/4 labels but t10k-images-idx3-ubyte has 5 images/);
    expect(listing(existing)).toEqual(['keep.txt']);

    const cifar = tempDir();
    writeCifarFolder(cifar, makeCifarData(2));
    rmSync(join(cifar, 'data_batch_4.bin'));
    await expect(importDatasetFolder('cifar10', cifar, existing)).rejects.toThrow(/missing data_batch_4\.bin/);
    expect(listing(existing)).toEqual(['keep.txt']);
  });

  it('refuses a folder in the way of the id that holds other data, and leaves both alone', async () => {
    const src = tempDir();
    writeIdxFolder(src, makeIdxData(10, 5));
    const dest = tempDir();
    const first = await importDatasetFolder('idx', src, dest, 'x');
    rmSync(join(first.folder, 't10k-labels-idx1-ubyte'));
    await expect(importDatasetFolder('idx', src, dest, 'x')).rejects.toThrow(DatasetError);
    expect(listing(dest)).toEqual([first.id]);
    expect(listing(first.folder)).toHaveLength(4);
  });

  it('copies the data a symlink points to, under the known names only', async () => {
    const real = tempDir();
    writeIdxFolder(real, makeIdxData(10, 5));
    const src = tempDir();
    for (const n of readdirSync(real)) symlinkSync(join(real, n), join(src, n));
    const d = await importDatasetFolder('idx', src, tempDir(), '../../etc/passwd');
    expect(d.id).toMatch(/^etc-passwd-[0-9a-f]{10}$/);
    expect(listing(d.folder)).toHaveLength(5);
  });

  it('removes stale staging folders only', async () => {
    const dest = tempDir();
    mkdirSync(join(dest, '.import-old-abc'));
    mkdirSync(join(dest, 'real-dataset'));
    expect(await removeStaleImports(dest, -1)).toBe(1);
    expect(listing(dest)).toEqual(['real-dataset']);
  });

  it('slugify never yields a path or an empty id', () => {
    expect(slugify('../..')).toBe('dataset');
    expect(slugify('Fashion-MNIST (Zalando)')).toBe('fashion-mnist-zalando');
    expect(slugify('Été')).toBe('ete');
    expect(slugify('a'.repeat(100))).toHaveLength(40);
  });
});

describe('loadDataset', () => {
  it('refuses files whose hash no longer matches the recorded one', () => {
    const dir = tempDir();
    writeIdxFolder(dir, makeIdxData(10, 5));
    const ds = loadDataset({ id: 'a', source: 'idx', folder: dir });
    clearDatasetCache();
    expect(() => loadDataset({ id: 'a', source: 'idx', folder: dir, hash: ds.hash })).not.toThrow();
    writeIdxFolder(dir, makeIdxData(10, 5, 4, 5, 10, 99));
    clearDatasetCache();
    expect(() => loadDataset({ id: 'a', source: 'idx', folder: dir, hash: ds.hash })).toThrow(/contents changed/);
  });

  it('caches per id, folder and hash', () => {
    const dir = tempDir();
    writeIdxFolder(dir, makeIdxData(10, 5));
    const a = loadDataset({ id: 'a', source: 'idx', folder: dir });
    expect(loadDataset({ id: 'a', source: 'idx', folder: dir + '/' })).toBe(a);
    const b = loadDataset({ id: 'b', source: 'idx', folder: dir });
    expect(b).not.toBe(a);
    expect(b.id).toBe('b');
  });

  it('computes per-channel statistics over all training pixels', () => {
    const dir = tempDir();
    const d = makeCifarData(4);
    writeCifarFolder(dir, d);
    const ds = loadDataset({ id: 'c', source: 'cifar10', folder: dir });
    for (let c = 0; c < 3; c++) {
      let sum = 0;
      let sq = 0;
      let n = 0;
      for (const b of d.batches.slice(0, 5)) {
        for (let i = c; i < b.images.length; i += 3) {
          const v = b.images[i]! / 255;
          sum += v;
          sq += v * v;
          n++;
        }
      }
      const mean = sum / n;
      expect(ds.mean[c]).toBeCloseTo(mean, 10);
      expect(ds.std[c]).toBeCloseTo(Math.sqrt(sq / n - mean * mean), 10);
    }
  });
});
