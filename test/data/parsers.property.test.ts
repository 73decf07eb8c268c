import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { checkCifarBatch, encodeCifarBatch, loadCifar10Folder, parseCifarBatch } from '../../src/main/engine/data/cifar10';
import { DatasetError } from '../../src/main/engine/data/errors';
import { gunzipLimited } from '../../src/main/engine/data/file-bytes';
import { parseIdxImages, parseIdxLabels } from '../../src/main/engine/data/idx';
import { loadIdxFolder } from '../../src/main/engine/data/idx-folder';
import { CIFAR_FILES, cleanupTemp, idxImagesFile, idxLabelsFile, makeCifarData, makeIdxData, randomBytes, tempDir, writeCifarFolder, writeIdxFolder } from './fixtures';

afterAll(cleanupTemp);

/** Runs f; passes if it returns or throws a DatasetError, fails on any other throw. */
function onlyDatasetErrors(f: () => unknown): boolean {
  try {
    f();
    return true;
  } catch (e) {
    if (e instanceof DatasetError) {
      expect(e.message).not.toMatch(/\n/);
      return true;
    }
    throw e;
  }
}

/** A damaged copy: some bytes overwritten, then cut or extended. */
const damage = (len: number) =>
  fc.record({
    writes: fc.array(fc.record({ at: fc.nat({ max: Math.max(0, len - 1) }), value: fc.integer({ min: 0, max: 255 }) }), { maxLength: 8 }),
    cut: fc.option(fc.nat({ max: len }), { nil: undefined }),
    extra: fc.uint8Array({ maxLength: 8 }),
  });

function apply(bytes: Uint8Array, d: { writes: { at: number; value: number }[]; cut: number | undefined; extra: Uint8Array }): Uint8Array {
  const b = bytes.slice();
  for (const w of d.writes) b[w.at] = w.value;
  const cut = b.subarray(0, d.cut ?? b.length);
  const out = new Uint8Array(cut.length + d.extra.length);
  out.set(cut);
  out.set(d.extra, cut.length);
  return out;
}

const RUNS = { numRuns: 400, seed: 20240601 };

describe('IDX parser under damage (property)', () => {
  const images = idxImagesFile(randomBytes(5 * 3 * 4, 1), 3, 4);
  const labels = idxLabelsFile(randomBytes(5, 2, 10));
  const imagesGz = gzipSync(images);
  const labelsGz = gzipSync(labels);

  it('raw: damaged image and label files parse or throw DatasetError', () => {
    fc.assert(fc.property(damage(images.length), (d) => onlyDatasetErrors(() => parseIdxImages(apply(images, d), 'f'))), RUNS);
    fc.assert(fc.property(damage(labels.length), (d) => onlyDatasetErrors(() => parseIdxLabels(apply(labels, d), 'f'))), RUNS);
  });

  it('raw: a parse that succeeds is consistent with its header', () => {
    fc.assert(
      fc.property(damage(images.length), (d) => {
        try {
          const r = parseIdxImages(apply(images, d), 'f');
          expect(r.data.length).toBe(r.count * r.rows * r.cols);
          expect(r.count * r.rows * r.cols).toBeGreaterThan(0);
        } catch (e) {
          if (!(e instanceof DatasetError)) throw e;
        }
      }),
      RUNS,
    );
  });

  it('gzip: damaged compressed files gunzip-and-parse or throw DatasetError', () => {
    fc.assert(
      fc.property(damage(imagesGz.length), (d) => onlyDatasetErrors(() => parseIdxImages(gunzipLimited(apply(imagesGz, d), 'f', 1 << 20), 'f'))),
      RUNS,
    );
    fc.assert(
      fc.property(damage(labelsGz.length), (d) => onlyDatasetErrors(() => parseIdxLabels(gunzipLimited(apply(labelsGz, d), 'f', 1 << 20), 'f'))),
      RUNS,
    );
  });

  it('arbitrary bytes parse or throw DatasetError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) =>
        onlyDatasetErrors(() => parseIdxImages(b, 'f')) && onlyDatasetErrors(() => parseIdxLabels(b, 'f')) && onlyDatasetErrors(() => gunzipLimited(b, 'f', 1024)),
      ),
      RUNS,
    );
  });

  it('a folder with one damaged file (raw or gz) loads or throws DatasetError', () => {
    const data = makeIdxData(6, 4, 3, 3, 4);
    const names = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];
    fc.assert(
      fc.property(fc.constantFrom(0, 1, 2, 3), fc.boolean(), damage(40), (which, gz, d) => {
        const dir = tempDir();
        writeIdxFolder(dir, data, gz);
        const name = names[which]! + (gz ? '.gz' : '');
        const p = join(dir, name);
        const original = readFileSync(p);
        writeFileSync(p, apply(new Uint8Array(original), d));
        return onlyDatasetErrors(() => loadIdxFolder(dir));
      }),
      { numRuns: 150, seed: 7 },
    );
  });
});

describe('CIFAR-10 parser under damage (property)', () => {
  const d0 = makeCifarData(3, 5);
  const batch = encodeCifarBatch(d0.batches[0]!.images, d0.batches[0]!.labels);

  it('damaged batches parse or throw DatasetError; what parses is valid', () => {
    fc.assert(
      fc.property(damage(batch.length), (d) => {
        const b = apply(batch, d);
        try {
          const r = parseCifarBatch(b, 'data_batch_1.bin');
          expect(r.images.length).toBe(r.count * 3072);
          expect(r.labels.every((l) => l < 10)).toBe(true);
          expect(checkCifarBatch(b, 'x')).toBe(r.count);
        } catch (e) {
          if (!(e instanceof DatasetError)) throw e;
        }
      }),
      RUNS,
    );
  });

  it('any damage to the label bytes or length of one file of a folder loads or throws DatasetError', () => {
    const data = makeCifarData(2, 9);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5 }), fc.nat({ max: 1 }), fc.integer({ min: 0, max: 255 }), fc.option(fc.nat({ max: 2 * 3073 + 10 }), { nil: undefined }), (file, rec, label, cut) => {
        const dir = tempDir();
        writeCifarFolder(dir, data);
        const p = join(dir, CIFAR_FILES[file]!);
        const b = new Uint8Array(readFileSync(p));
        b[rec * 3073] = label;
        writeFileSync(p, cut === undefined ? b : b.subarray(0, cut));
        return onlyDatasetErrors(() => loadCifar10Folder(dir));
      }),
      { numRuns: 100, seed: 11 },
    );
  });
});
