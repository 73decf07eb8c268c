import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { DatasetError } from './errors';

/**
 * The largest dataset file we read, after decompression: 2 GiB. MNIST's biggest file is 47 MB and
 * CIFAR-10's 30 MB; a file beyond this is a mistake (or an attack), and reading it would take the
 * process's memory first. Checked before allocating: `stat` for raw files, the compressed size and
 * zlib's `maxOutputLength` for gzip.
 */
export const MAX_DATASET_FILE_BYTES = 2 * 1024 ** 3;

export interface ReadOptions {
  /** Override of MAX_DATASET_FILE_BYTES (tests use a small one). */
  maxBytes?: number;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Returns a file's contents, gunzipped when it starts with the gzip magic (1f 8b), whatever its
 * name says. Bytes are a plain Uint8Array view; nothing here interprets them.
 */
export function readDatasetFile(path: string, opts: ReadOptions = {}): Uint8Array {
  const limit = opts.maxBytes ?? MAX_DATASET_FILE_BYTES;
  let fd: number;
  try {
    // O_NONBLOCK: opening a named pipe for reading would otherwise wait for a writer forever; fstat below then
    // refuses it. It changes nothing for regular files.
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw new DatasetError(path, `cannot open: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let raw: Uint8Array;
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new DatasetError(path, 'not a regular file');
    // For gzip this bounds the compressed size; the decompressed size is capped in gunzipLimited.
    if (st.size > limit) {
      throw new DatasetError(path, `too large: ${formatBytes(st.size)}, the limit is ${formatBytes(limit)}`);
    }
    raw = new Uint8Array(st.size);
    let off = 0;
    while (off < raw.length) {
      const n = readSync(fd, raw, off, raw.length - off, off);
      if (n === 0) break;
      off += n;
    }
    // The file shrank between stat and read: treat what we got as the file.
    if (off < raw.length) raw = raw.subarray(0, off);
  } catch (e) {
    if (e instanceof DatasetError) throw e;
    throw new DatasetError(path, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  } finally {
    closeSync(fd);
  }
  if (!isGzip(raw)) return raw;
  return gunzipLimited(raw, path, limit);
}

export function gunzipLimited(gz: Uint8Array, path: string, limit: number = MAX_DATASET_FILE_BYTES): Uint8Array {
  try {
    const out = gunzipSync(gz, { maxOutputLength: limit });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw new DatasetError(path, `too large: decompresses to more than ${formatBytes(limit)}, the limit`);
    }
    if (err.code === 'Z_BUF_ERROR' || err.errno === zlibConstants.Z_BUF_ERROR) {
      throw new DatasetError(path, 'truncated gzip data (unexpected end of file)');
    }
    throw new DatasetError(path, `not a valid gzip file: ${err.message}`);
  }
}
