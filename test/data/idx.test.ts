import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { DatasetError } from '../../src/main/engine/data/errors';
import { readDatasetFile } from '../../src/main/engine/data/file-bytes';
import { encodeIdx, parseIdxImages, parseIdxLabels, readIdxImages, readIdxLabels } from '../../src/main/engine/data/idx';
import { cleanupTemp, idxImagesFile, idxLabelsFile, randomBytes, tempDir } from './fixtures';

afterAll(cleanupTemp);

function thrown(f: () => unknown): DatasetError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DatasetError);
    const err = e as DatasetError;
    expect(err.message).not.toMatch(/\n/);
    return err;
  }
  throw new Error('expected a DatasetError, nothing was thrown');
}

describe('IDX parser', () => {
  const pixels = randomBytes(3 * 4 * 5, 11);
  const images = idxImagesFile(pixels, 4, 5);
  const labels = idxLabelsFile(Uint8Array.from([0, 1, 2]));

  it('parses images and labels', () => {
    const im = parseIdxImages(images, 'x');
    expect(im).toMatchObject({ kind: 'images', count: 3, rows: 4, cols: 5 });
    expect(Array.from(im.data)).toEqual(Array.from(pixels));
    const lb = parseIdxLabels(labels, 'y');
    expect(lb).toMatchObject({ kind: 'labels', count: 3 });
    expect(Array.from(lb.data)).toEqual([0, 1, 2]);
  });

  it('reads raw and gzip files alike, by content not by name', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'raw'), images);
    writeFileSync(join(dir, 'zipped.gz'), gzipSync(images));
    writeFileSync(join(dir, 'zipped-no-ext'), gzipSync(images));
    writeFileSync(join(dir, 'labels.gz'), gzipSync(labels));
    for (const n of ['raw', 'zipped.gz', 'zipped-no-ext']) {
      expect(Array.from(readIdxImages(join(dir, n)).data)).toEqual(Array.from(pixels));
    }
    expect(readIdxLabels(join(dir, 'labels.gz')).count).toBe(3);
  });

  it('rejects a wrong magic number', () => {
    const b = images.slice();
    b[0] = 0x50;
    b[1] = 0x4b;
    expect(thrown(() => parseIdxImages(b, '/tmp/a/train-images-idx3-ubyte')).message).toMatch(
      /^train-images-idx3-ubyte: not an IDX file: magic number 0x504B0803, expected 0x00000803$/,
    );
  });

  it('rejects a wrong dtype byte and names the type', () => {
    const b = images.slice();
    b[2] = 0x0d;
    expect(thrown(() => parseIdxImages(b, 'f')).message).toMatch(/unsupported IDX data type 0x0D \(float32\)/);
  });

  it('rejects labels given as images and vice versa', () => {
    expect(thrown(() => parseIdxImages(labels, 'f')).message).toMatch(/wrong IDX rank 1.*looks like a label file/);
    expect(thrown(() => parseIdxLabels(images, 'f')).message).toMatch(/wrong IDX rank 3.*looks like an image file/);
  });

  it('rejects truncated data with the numbers', () => {
    const err = thrown(() => parseIdxImages(images.subarray(0, images.length - 7), '/x/train-images-idx3-ubyte.gz'));
    expect(err.message).toBe('train-images-idx3-ubyte.gz: truncated: header promises 3x4x5 = 60 bytes of pixels, file has 53');
    expect(err.file).toBe('/x/train-images-idx3-ubyte.gz');
  });

  it('rejects a truncated header', () => {
    expect(thrown(() => parseIdxImages(images.subarray(0, 10), 'f')).message).toMatch(/shorter than the 16-byte header/);
    expect(thrown(() => parseIdxLabels(new Uint8Array(2), 'f')).message).toMatch(/truncated: 2 bytes/);
    expect(thrown(() => parseIdxLabels(new Uint8Array(0), 'f')).message).toMatch(/truncated: 0 bytes/);
  });

  it('rejects trailing garbage', () => {
    const b = new Uint8Array(images.length + 3);
    b.set(images);
    expect(thrown(() => parseIdxImages(b, 'f')).message).toMatch(/trailing garbage: .* file has 63 \(3 extra\)/);
  });

  it('rejects zero dimensions', () => {
    expect(thrown(() => parseIdxImages(encodeIdx('images', [0, 28, 28], new Uint8Array(0)), 'f')).message).toMatch(/empty: header dimensions 0x28x28/);
    expect(thrown(() => parseIdxImages(encodeIdx('images', [5, 0, 28], new Uint8Array(0)), 'f')).message).toMatch(/include a zero/);
    expect(thrown(() => parseIdxLabels(encodeIdx('labels', [0], new Uint8Array(0)), 'f')).message).toMatch(/include a zero/);
  });

  it('rejects absurd header sizes without allocating', () => {
    const b = encodeIdx('images', [0xffffffff, 0xffffffff, 0xffffffff], new Uint8Array(10));
    expect(thrown(() => parseIdxImages(b, 'f')).message).toMatch(/absurd size: header promises 4294967295x4294967295x4294967295/);
  });

  it('refuses raw files above the size limit before reading them', () => {
    const dir = tempDir();
    const p = join(dir, 'big');
    writeFileSync(p, new Uint8Array(5000));
    expect(thrown(() => readDatasetFile(p, { maxBytes: 4096 })).message).toMatch(/^big: too large: 4\.9 KiB, the limit is 4\.0 KiB$/);
  });

  it('caps gzip output at the size limit', () => {
    const dir = tempDir();
    const p = join(dir, 'bomb.gz');
    writeFileSync(p, gzipSync(new Uint8Array(1_000_000)));
    expect(thrown(() => readDatasetFile(p, { maxBytes: 100_000 })).message).toMatch(/decompresses to more than 97\.7 KiB/);
  });

  it('reports corrupt and truncated gzip as DatasetError', () => {
    const dir = tempDir();
    const gz = gzipSync(images);
    const cut = join(dir, 'cut.gz');
    writeFileSync(cut, gz.subarray(0, gz.length - 6));
    expect(thrown(() => readIdxImages(cut)).message).toMatch(/truncated gzip data/);
    const bad = Buffer.from(gz);
    bad[bad.length - 6]! ^= 0xff;
    const crc = join(dir, 'crc.gz');
    writeFileSync(crc, bad);
    expect(thrown(() => readIdxImages(crc)).message).toMatch(/not a valid gzip file/);
  });

  it('reports a missing file and a folder as DatasetError', () => {
    const dir = tempDir();
    expect(thrown(() => readIdxImages(join(dir, 'nope'))).message).toMatch(/^nope: cannot open: ENOENT$/);
    expect(thrown(() => readDatasetFile(dir)).message).toMatch(/not a regular file|EISDIR/);
  });
});
