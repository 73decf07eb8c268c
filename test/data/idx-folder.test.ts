import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FASHION_MNIST_CLASSES } from '../../src/main/engine/data/class-names';
import { DatasetError } from '../../src/main/engine/data/errors';
import { loadIdxFolder } from '../../src/main/engine/data/idx-folder';
import { cleanupTemp, idxImagesFile, idxLabelsFile, makeIdxData, randomBytes, tempDir, writeIdxFolder } from './fixtures';

afterAll(cleanupTemp);

function error(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DatasetError);
    return (e as Error).message;
  }
  throw new Error('expected a DatasetError');
}

describe('MNIST-format folder', () => {
  const data = makeIdxData(30, 12);

  it('loads raw and gzip folders to the same arrays and the same hash', () => {
    const raw = tempDir();
    const gz = tempDir();
    writeIdxFolder(raw, data);
    writeIdxFolder(gz, data, true);
    const a = loadIdxFolder(raw);
    const b = loadIdxFolder(gz);
    expect(a.shape).toEqual([4, 5, 1]);
    expect(Array.from(a.trainImages)).toEqual(Array.from(data.trainImages));
    expect(Array.from(a.testLabels)).toEqual(Array.from(data.testLabels));
    expect(Array.from(b.trainImages)).toEqual(Array.from(data.trainImages));
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(b.hash).toBe(a.hash);
    expect(a.files.map((f) => f.name)).toEqual(['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']);
    expect(b.files.map((f) => f.name)).toEqual(a.files.map((f) => `${f.name}.gz`));
  });

  it('accepts the dotted names of some mirrors', () => {
    const dir = tempDir();
    writeIdxFolder(dir, data);
    renameSync(join(dir, 'train-images-idx3-ubyte'), join(dir, 'train-images.idx3-ubyte'));
    const p = loadIdxFolder(dir);
    expect(p.files[0]!.name).toBe('train-images-idx3-ubyte');
  });

  it('numClasses is max label + 1, at least 2, with digit names', () => {
    const dir = tempDir();
    writeIdxFolder(dir, { ...data, trainLabels: new Uint8Array(30), testLabels: new Uint8Array(12) });
    expect(loadIdxFolder(dir).classNames).toEqual(['0', '1']);
    const dir2 = tempDir();
    writeIdxFolder(dir2, { ...data, trainLabels: new Uint8Array(30).fill(14) });
    const p = loadIdxFolder(dir2);
    expect(p.numClasses).toBe(15);
    expect(p.classNames[14]).toBe('14');
  });

  it('names a missing file', () => {
    const dir = tempDir();
    writeIdxFolder(dir, data);
    rmSync(join(dir, 't10k-labels-idx1-ubyte'));
    expect(error(() => loadIdxFolder(dir))).toMatch(/not an MNIST-format folder: missing t10k-labels-idx1-ubyte\[\.gz\]$/);
  });

  it('rejects mismatched image and label counts', () => {
    const dir = tempDir();
    writeIdxFolder(dir, data);
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idxLabelsFile(new Uint8Array(29)));
    expect(error(() => loadIdxFolder(dir))).toBe('train-labels-idx1-ubyte: 29 labels but train-images-idx3-ubyte has 30 images');
  });

  it('rejects train and test images of different shapes', () => {
    const dir = tempDir();
    writeIdxFolder(dir, data);
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), idxImagesFile(randomBytes(12 * 5 * 4, 3), 5, 4));
    expect(error(() => loadIdxFolder(dir))).toMatch(/t10k-images-idx3-ubyte: images are 5x4 but the training images are 4x5/);
  });

  it('reports a malformed file inside the folder', () => {
    const dir = tempDir();
    writeIdxFolder(dir, data);
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), idxImagesFile(data.testImages, 4, 5).subarray(0, 50));
    expect(error(() => loadIdxFolder(dir))).toMatch(/^t10k-images-idx3-ubyte: truncated: header promises 12x4x5 = 240 bytes of pixels, file has 34$/);
  });

  it('takes class names from classes.txt, and checks them against the labels', () => {
    const dir = tempDir();
    writeIdxFolder(dir, data);
    const names = Array.from({ length: 10 }, (_, i) => `class ${i}`);
    writeFileSync(join(dir, 'classes.txt'), names.join('\r\n') + '\r\n\r\n');
    expect(loadIdxFolder(dir).classNames).toEqual(names);
    writeFileSync(join(dir, 'classes.txt'), names.slice(0, 5).join('\n'));
    expect(error(() => loadIdxFolder(dir))).toMatch(/classes\.txt: names 5 classes but the labels go up to 9/);
    writeFileSync(join(dir, 'classes.txt'), 'a\n\nb\n');
    expect(error(() => loadIdxFolder(dir))).toMatch(/line 2 is blank/);
  });

  it('uses the Fashion-MNIST names when the name says fashion', () => {
    const dir = tempDir();
    writeIdxFolder(dir, data);
    expect(loadIdxFolder(dir, { name: 'My Fashion set' }).classNames).toEqual(FASHION_MNIST_CLASSES);
    expect(loadIdxFolder(dir, { name: 'digits' }).classNames[0]).toBe('0');
  });
});
