import { describe, expect, it } from 'vitest';
import { inflateRawSync } from 'node:zlib';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, zipFiles } from '../../src/main/services/zip';
import { zipExported } from '../../src/main/services/exports';

/** Reads the archive back through its central directory, as an unzip tool does. */
function unzip(zip: Buffer): Record<string, Buffer> {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const n = zip.readUInt16LE(end + 10);
  let p = zip.readUInt32LE(end + 16);
  const out: Record<string, Buffer> = {};
  for (let i = 0; i < n; i++) {
    expect(zip.readUInt32LE(p)).toBe(0x02014b50);
    const method = zip.readUInt16LE(p + 10);
    const crc = zip.readUInt32LE(p + 16);
    const size = zip.readUInt32LE(p + 20);
    const nameLen = zip.readUInt16LE(p + 28);
    const local = zip.readUInt32LE(p + 42);
    const name = zip.subarray(p + 46, p + 46 + nameLen).toString();
    const start = local + 30 + zip.readUInt16LE(local + 26);
    const body = zip.subarray(start, start + size);
    const data = method === 8 ? inflateRawSync(body) : Buffer.from(body);
    expect(crc32(data)).toBe(crc);
    out[name] = data;
    p += 46 + nameLen;
  }
  return out;
}

describe('zip of exported figures', () => {
  it('round-trips deflated and stored entries with their CRCs', () => {
    const text = Buffer.from('a,b\n'.repeat(1000));
    const random = Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 97) & 255));
    const files = unzip(zipFiles([{ name: 'accuracy.csv', data: text }, { name: 'accuracy.png', data: random }]));
    expect(files['accuracy.csv']!.equals(text)).toBe(true);
    expect(files['accuracy.png']!.equals(random)).toBe(true);
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('zips only files an export of this session wrote', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lth-zip-'));
    const a = join(dir, 'accuracy.svg');
    writeFileSync(a, '<svg/>');
    const z = zipExported([a], new Set([a]));
    expect(z.fileName).toBe('accuracy.zip');
    expect(unzip(Buffer.from(z.base64, 'base64'))['accuracy.svg']!.toString()).toBe('<svg/>');
    expect(() => zipExported(['/etc/passwd'], new Set([a]))).toThrow(/not written by an export/);
  });
});
