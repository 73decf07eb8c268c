import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeCifarBatch, loadCifar10Folder, parseCifarBatch } from '../../src/main/engine/data/cifar10';
import { CIFAR10_CLASSES } from '../../src/main/engine/data/class-names';
import { DatasetError } from '../../src/main/engine/data/errors';
import { CIFAR_FILES, CIFAR_IMAGE, cleanupTemp, concat, makeCifarData, tempDir, writeCifarFolder } from './fixtures';

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

describe('CIFAR-10 binary', () => {
  it('converts planar CHW records to HWC', () => {
    const rec = new Uint8Array(3073);
    rec[0] = 7;
    rec[1] = 10; // red of pixel (0,0)
    rec[1 + 1024] = 20; // green of pixel (0,0)
    rec[1 + 2048] = 30; // blue of pixel (0,0)
    rec[1 + 33] = 40; // red of pixel (1,1): row 1, column 1
    rec[1 + 2048 + 1023] = 50; // blue of the last pixel
    const { count, images, labels } = parseCifarBatch(rec, 'b');
    expect(count).toBe(1);
    expect(labels[0]).toBe(7);
    expect(Array.from(images.subarray(0, 3))).toEqual([10, 20, 30]);
    expect(images[(32 + 1) * 3]).toBe(40);
    expect(images[3071]).toBe(50);
  });

  it('loads a folder of six batches', () => {
    const d = makeCifarData(20);
    const dir = tempDir();
    writeCifarFolder(dir, d);
    const p = loadCifar10Folder(dir);
    expect(p.shape).toEqual([32, 32, 3]);
    expect(p.numClasses).toBe(10);
    expect(p.classNames).toEqual(CIFAR10_CLASSES);
    expect(p.trainLabels.length).toBe(100);
    expect(p.testLabels.length).toBe(20);
    expect(p.trainImages.length).toBe(100 * CIFAR_IMAGE);
    expect(Buffer.from(p.trainImages).equals(Buffer.from(concat(d.batches.slice(0, 5).map((b) => b.images))))).toBe(true);
    expect(Buffer.from(p.testImages).equals(Buffer.from(d.batches[5]!.images))).toBe(true);
    expect(Array.from(p.trainLabels.subarray(20, 40))).toEqual(Array.from(d.batches[1]!.labels));
    expect(p.files.map((f) => f.name)).toEqual(CIFAR_FILES);
  });

  it('accepts the archive folder one level down and batches.meta.txt names', () => {
    const root = tempDir();
    const dir = join(root, 'cifar-10-batches-bin');
    mkdirSync(dir);
    writeCifarFolder(dir, makeCifarData(3));
    const names = 'a b c d e f g h i j'.split(' ');
    writeFileSync(join(dir, 'batches.meta.txt'), names.join('\n') + '\n\n');
    expect(loadCifar10Folder(root).classNames).toEqual(names);
    writeFileSync(join(dir, 'batches.meta.txt'), 'a\nb\n');
    expect(error(() => loadCifar10Folder(root))).toMatch(/batches\.meta\.txt: lists 2 class names; CIFAR-10 has 10/);
  });

  it('says which batch is missing', () => {
    const dir = tempDir();
    writeCifarFolder(dir, makeCifarData(2));
    rmSync(join(dir, 'data_batch_3.bin'));
    rmSync(join(dir, 'test_batch.bin'));
    expect(error(() => loadCifar10Folder(dir))).toMatch(/not a CIFAR-10 binary folder: missing data_batch_3\.bin, test_batch\.bin$/);
  });

  it('rejects a size that is not a multiple of 3073', () => {
    const dir = tempDir();
    writeCifarFolder(dir, makeCifarData(2));
    writeFileSync(join(dir, 'data_batch_2.bin'), new Uint8Array(3073 * 2 + 100));
    expect(error(() => loadCifar10Folder(dir))).toBe(
      'data_batch_2.bin: size 6246 is not a multiple of the 3073-byte CIFAR-10 record (2 records and 100 bytes left over)',
    );
  });

  it('rejects labels of 10 and more', () => {
    const dir = tempDir();
    const d = makeCifarData(4);
    writeCifarFolder(dir, d);
    const labels = Uint8Array.from([1, 2, 10, 3]);
    writeFileSync(join(dir, 'test_batch.bin'), encodeCifarBatch(d.batches[5]!.images, labels));
    expect(error(() => loadCifar10Folder(dir))).toMatch(/^test_batch\.bin: record 2 has label 10; CIFAR-10 labels are 0\.\.9/);
  });

  it('rejects an empty batch file', () => {
    const dir = tempDir();
    writeCifarFolder(dir, makeCifarData(2));
    writeFileSync(join(dir, 'data_batch_5.bin'), new Uint8Array(0));
    expect(error(() => loadCifar10Folder(dir))).toBe('data_batch_5.bin: empty file');
  });
});
