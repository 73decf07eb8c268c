import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeCifarBatch } from '../../src/main/engine/data/cifar10';
import { encodeIdx } from '../../src/main/engine/data/idx';
import { mulberry32 } from '../../src/main/engine/data/rng';

const made: string[] = [];

/** A fresh folder under the OS temp dir; removed by cleanupTemp(). */
export function tempDir(prefix = 'lth-data-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}

export function cleanupTemp(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

export function randomBytes(n: number, seed: number, max = 256): Uint8Array {
  const rng = mulberry32(seed);
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = rng.int(max);
  return b;
}

export interface IdxFixture {
  rows: number;
  cols: number;
  trainImages: Uint8Array;
  trainLabels: Uint8Array;
  testImages: Uint8Array;
  testLabels: Uint8Array;
}

export function makeIdxData(nTrain: number, nTest: number, rows = 4, cols = 5, classes = 10, seed = 1): IdxFixture {
  return {
    rows,
    cols,
    trainImages: randomBytes(nTrain * rows * cols, seed),
    trainLabels: randomBytes(nTrain, seed + 1, classes),
    testImages: randomBytes(nTest * rows * cols, seed + 2),
    testLabels: randomBytes(nTest, seed + 3, classes),
  };
}

export function idxImagesFile(images: Uint8Array, rows: number, cols: number): Uint8Array {
  return encodeIdx('images', [images.length / (rows * cols), rows, cols], images);
}

export function idxLabelsFile(labels: Uint8Array): Uint8Array {
  return encodeIdx('labels', [labels.length], labels);
}

/** Writes an MNIST-format folder; `gz` gzips every file (names get .gz). */
export function writeIdxFolder(dir: string, d: IdxFixture, gz = false): void {
  const files: [string, Uint8Array][] = [
    ['train-images-idx3-ubyte', idxImagesFile(d.trainImages, d.rows, d.cols)],
    ['train-labels-idx1-ubyte', idxLabelsFile(d.trainLabels)],
    ['t10k-images-idx3-ubyte', idxImagesFile(d.testImages, d.rows, d.cols)],
    ['t10k-labels-idx1-ubyte', idxLabelsFile(d.testLabels)],
  ];
  for (const [name, bytes] of files) writeFileSync(join(dir, gz ? `${name}.gz` : name), gz ? gzipSync(bytes) : bytes);
}

export const CIFAR_IMAGE = 32 * 32 * 3;

export interface CifarFixture {
  /** Per batch file (5 train then test): HWC images and labels. */
  batches: { images: Uint8Array; labels: Uint8Array }[];
}

export function makeCifarData(perBatch = 20, seed = 7): CifarFixture {
  const batches = [];
  for (let b = 0; b < 6; b++) {
    batches.push({ images: randomBytes(perBatch * CIFAR_IMAGE, seed + 2 * b), labels: randomBytes(perBatch, seed + 2 * b + 1, 10) });
  }
  return { batches };
}

export const CIFAR_FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin'];

export function writeCifarFolder(dir: string, d: CifarFixture): void {
  d.batches.forEach((b, i) => writeFileSync(join(dir, CIFAR_FILES[i]!), encodeCifarBatch(b.images, b.labels)));
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
