import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CIFAR10_CLASSES, readClassNamesFile } from './class-names';
import { DatasetError } from './errors';
import { readDatasetFile, type ReadOptions } from './file-bytes';
import { ContentHash } from './hash';
import type { ParsedDataset } from './parsed';

/**
 * CIFAR-10, binary version (https://www.cs.toronto.edu/~kriz/cifar.html): each batch file is a
 * sequence of records of 1 label byte and 3072 pixel bytes, the red, green and blue 32x32 planes
 * in turn, each row-major. We store images HWC (what the engine consumes), so we interleave here.
 */
export const CIFAR10_TRAIN_FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'];
export const CIFAR10_TEST_FILE = 'test_batch.bin';
export const CIFAR10_META_FILE = 'batches.meta.txt';
/** The folder the official archive unpacks to; accepted one level down from the chosen folder. */
export const CIFAR10_ARCHIVE_DIR = 'cifar-10-batches-bin';

const SIDE = 32;
const PLANE = SIDE * SIDE;
const IMAGE_BYTES = PLANE * 3;
const RECORD_BYTES = 1 + IMAGE_BYTES;
const NUM_CLASSES = 10;

/** Validates one batch file's bytes; returns its record count. */
export function checkCifarBatch(bytes: Uint8Array, file: string): number {
  if (bytes.length === 0) throw new DatasetError(file, 'empty file');
  if (bytes.length % RECORD_BYTES !== 0) {
    throw new DatasetError(file, `size ${bytes.length} is not a multiple of the ${RECORD_BYTES}-byte CIFAR-10 record (${Math.floor(bytes.length / RECORD_BYTES)} records and ${bytes.length % RECORD_BYTES} bytes left over)`);
  }
  const count = bytes.length / RECORD_BYTES;
  for (let r = 0; r < count; r++) {
    const label = bytes[r * RECORD_BYTES]!;
    if (label >= NUM_CLASSES) {
      throw new DatasetError(file, `record ${r} has label ${label}; CIFAR-10 labels are 0..9 (is this CIFAR-100, whose records have two label bytes?)`);
    }
  }
  return count;
}

/** Writes a validated batch's images (HWC) and labels at record offset `at` of the outputs. */
export function decodeCifarBatch(bytes: Uint8Array, images: Uint8Array, labels: Uint8Array, at: number): void {
  const count = bytes.length / RECORD_BYTES;
  for (let r = 0; r < count; r++) {
    const src = r * RECORD_BYTES;
    labels[at + r] = bytes[src]!;
    const red = src + 1;
    const green = red + PLANE;
    const blue = green + PLANE;
    let o = (at + r) * IMAGE_BYTES;
    for (let p = 0; p < PLANE; p++) {
      images[o++] = bytes[red + p]!;
      images[o++] = bytes[green + p]!;
      images[o++] = bytes[blue + p]!;
    }
  }
}

/** Parses one batch file's bytes into HWC images and labels. */
export function parseCifarBatch(bytes: Uint8Array, file: string): { count: number; images: Uint8Array; labels: Uint8Array } {
  const count = checkCifarBatch(bytes, file);
  const images = new Uint8Array(count * IMAGE_BYTES);
  const labels = new Uint8Array(count);
  decodeCifarBatch(bytes, images, labels, 0);
  return { count, images, labels };
}

export function resolveCifar10Folder(folder: string): string {
  const dir = resolve(folder);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new DatasetError(dir, 'not a folder');
  const nested = join(dir, CIFAR10_ARCHIVE_DIR);
  if (!existsSync(join(dir, CIFAR10_TEST_FILE)) && existsSync(join(nested, CIFAR10_TEST_FILE))) return nested;
  return dir;
}

export function loadCifar10Folder(folder: string, opts: ReadOptions = {}): ParsedDataset {
  const dir = resolveCifar10Folder(folder);
  const all = [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE];
  const missing = all.filter((n) => !existsSync(join(dir, n)));
  if (missing.length > 0) {
    throw new DatasetError(dir, `not a CIFAR-10 binary folder: missing ${missing.join(', ')}`);
  }
  const hash = new ContentHash();
  const batches = all.map((name) => {
    const path = join(dir, name);
    const bytes = readDatasetFile(path, opts);
    const count = checkCifarBatch(bytes, path);
    hash.add(name.replace(/\.bin$/, ''), bytes);
    return { name, path, bytes, count };
  });
  const train = batches.slice(0, CIFAR10_TRAIN_FILES.length);
  const test = batches[batches.length - 1]!;
  const trainCount = train.reduce((a, b) => a + b.count, 0);
  const trainImages = new Uint8Array(trainCount * IMAGE_BYTES);
  const trainLabels = new Uint8Array(trainCount);
  let at = 0;
  for (const b of train) {
    decodeCifarBatch(b.bytes, trainImages, trainLabels, at);
    at += b.count;
  }
  const testImages = new Uint8Array(test.count * IMAGE_BYTES);
  const testLabels = new Uint8Array(test.count);
  decodeCifarBatch(test.bytes, testImages, testLabels, 0);

  const metaPath = join(dir, CIFAR10_META_FILE);
  const listed = readClassNamesFile(metaPath);
  if (listed && listed.length !== NUM_CLASSES) {
    throw new DatasetError(metaPath, `lists ${listed.length} class names; CIFAR-10 has ${NUM_CLASSES}`);
  }
  return {
    shape: [SIDE, SIDE, 3],
    numClasses: NUM_CLASSES,
    classNames: listed ?? [...CIFAR10_CLASSES],
    trainImages,
    trainLabels,
    testImages,
    testLabels,
    hash: hash.hex(),
    files: batches.map((b) => ({ name: b.name, path: b.path })),
  };
}

/** Serialises HWC images and labels as a CIFAR-10 batch file (tests write fixtures with it). */
export function encodeCifarBatch(imagesHwc: Uint8Array, labels: Uint8Array): Uint8Array {
  const count = labels.length;
  const out = new Uint8Array(count * RECORD_BYTES);
  for (let r = 0; r < count; r++) {
    const dst = r * RECORD_BYTES;
    out[dst] = labels[r]!;
    for (let p = 0; p < PLANE; p++) {
      for (let c = 0; c < 3; c++) out[dst + 1 + c * PLANE + p] = imagesHwc[r * IMAGE_BYTES + p * 3 + c]!;
    }
  }
  return out;
}
