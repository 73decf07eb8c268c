import { DatasetError } from './errors';
import { formatBytes, MAX_DATASET_FILE_BYTES, readDatasetFile, type ReadOptions } from './file-bytes';

/**
 * IDX, the format of the original MNIST files (http://yann.lecun.com/exdb/mnist/): a 4-byte magic
 * (0, 0, dtype, rank), `rank` big-endian uint32 dimensions, then the data. We accept exactly two
 * kinds: images (dtype 0x08 unsigned byte, rank 3: count, rows, cols) and labels (0x08, rank 1).
 */
export const IDX_IMAGES_MAGIC = 0x00000803;
export const IDX_LABELS_MAGIC = 0x00000801;

export interface IdxImages {
  kind: 'images';
  count: number;
  rows: number;
  cols: number;
  /** count*rows*cols bytes, row-major per image; a view into the file's bytes. */
  data: Uint8Array;
}

export interface IdxLabels {
  kind: 'labels';
  count: number;
  data: Uint8Array;
}

const DTYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

function hex(n: number, digits: number): string {
  return '0x' + n.toString(16).padStart(digits, '0').toUpperCase();
}

function readU32BE(b: Uint8Array, off: number): number {
  // Indices are in range: callers check the header length first.
  return ((b[off]! << 24) >>> 0) + (b[off + 1]! << 16) + (b[off + 2]! << 8) + b[off + 3]!;
}

export function parseIdxImages(bytes: Uint8Array, file: string, maxBytes?: number): IdxImages {
  return parseIdx(bytes, file, 'images', maxBytes) as IdxImages;
}

export function parseIdxLabels(bytes: Uint8Array, file: string, maxBytes?: number): IdxLabels {
  return parseIdx(bytes, file, 'labels', maxBytes) as IdxLabels;
}

function parseIdx(
  bytes: Uint8Array,
  file: string,
  expect: 'images' | 'labels',
  maxBytes: number = MAX_DATASET_FILE_BYTES,
): IdxImages | IdxLabels {
  const rank = expect === 'images' ? 3 : 1;
  const headerLen = 4 + 4 * rank;
  const what = expect === 'images' ? 'IDX image file' : 'IDX label file';
  if (bytes.length < 4) {
    throw new DatasetError(file, `truncated: ${bytes.length} bytes, too short for an IDX header`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = readU32BE(bytes, 0);
    throw new DatasetError(file, `not an IDX file: magic number ${hex(magic, 8)}, expected ${hex(expect === 'images' ? IDX_IMAGES_MAGIC : IDX_LABELS_MAGIC, 8)}`);
  }
  const dtype = bytes[2]!;
  const fileRank = bytes[3]!;
  if (dtype !== 0x08) {
    const name = DTYPE_NAMES[dtype];
    throw new DatasetError(file, `unsupported IDX data type ${hex(dtype, 2)}${name ? ` (${name})` : ''}: only unsigned byte (0x08) is supported`);
  }
  if (fileRank !== rank) {
    const other = fileRank === 1 ? ' (this looks like a label file)' : fileRank === 3 ? ' (this looks like an image file)' : '';
    throw new DatasetError(file, `wrong IDX rank ${fileRank}, an ${what} has rank ${rank}${other}`);
  }
  if (bytes.length < headerLen) {
    throw new DatasetError(file, `truncated: ${bytes.length} bytes, shorter than the ${headerLen}-byte header of an ${what}`);
  }
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(readU32BE(bytes, 4 + 4 * i));
  const dimText = dims.join('x');
  if (dims.some((d) => d === 0)) {
    throw new DatasetError(file, `empty: header dimensions ${dimText} include a zero`);
  }
  // Exact in float64 up to 2^53; anything near that is far beyond maxBytes anyway.
  const expected = dims.reduce((a, b) => a * b, 1);
  if (expected > maxBytes) {
    throw new DatasetError(file, `absurd size: header promises ${dimText} = ${expected} bytes, more than the ${formatBytes(maxBytes)} limit`);
  }
  const have = bytes.length - headerLen;
  const noun = expect === 'images' ? 'pixels' : 'labels';
  if (have < expected) {
    throw new DatasetError(file, `truncated: header promises ${dimText} = ${expected} bytes of ${noun}, file has ${have}`);
  }
  if (have > expected) {
    throw new DatasetError(file, `trailing garbage: header promises ${dimText} = ${expected} bytes of ${noun}, file has ${have} (${have - expected} extra)`);
  }
  const data = bytes.subarray(headerLen);
  if (expect === 'images') {
    return { kind: 'images', count: dims[0]!, rows: dims[1]!, cols: dims[2]!, data };
  }
  return { kind: 'labels', count: dims[0]!, data };
}

/** Reads and parses an IDX image file, raw or gzip. */
export function readIdxImages(path: string, opts: ReadOptions = {}): IdxImages {
  return parseIdxImages(readDatasetFile(path, opts), path, opts.maxBytes);
}

/** Reads and parses an IDX label file, raw or gzip. */
export function readIdxLabels(path: string, opts: ReadOptions = {}): IdxLabels {
  return parseIdxLabels(readDatasetFile(path, opts), path, opts.maxBytes);
}

/** Serialises images or labels as IDX (tests and fixtures write files with it). */
export function encodeIdx(kind: 'images' | 'labels', dims: number[], data: Uint8Array): Uint8Array {
  const rank = dims.length;
  const out = new Uint8Array(4 + 4 * rank + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, kind === 'images' ? IDX_IMAGES_MAGIC : IDX_LABELS_MAGIC);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  out.set(data, 4 + 4 * rank);
  return out;
}
