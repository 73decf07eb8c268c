import { crc32 } from 'node:zlib';

/**
 * Sets a PNG's physical resolution (pHYs chunk, pixels per metre) so layout programs place it at its
 * intended size. Written by hand because not every canvas encoder version takes a resolution.
 */
export function setPngDpi(png: Buffer, dpi: number): Buffer {
  const ppm = Math.round(dpi / 0.0254);
  const chunk = Buffer.alloc(12 + 9);
  chunk.writeUInt32BE(9, 0);
  chunk.write('pHYs', 4, 'latin1');
  chunk.writeUInt32BE(ppm, 8);
  chunk.writeUInt32BE(ppm, 12);
  chunk.writeUInt8(1, 16); // unit: metre
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 17)), 17);
  // Signature (8) + IHDR (4 length + 4 type + 13 data + 4 crc); pHYs must come before IDAT.
  const afterIhdr = 8 + 25;
  const rest = stripChunk(png.subarray(afterIhdr), 'pHYs');
  return Buffer.concat([png.subarray(0, afterIhdr), chunk, rest]);
}

function stripChunk(chunks: Buffer, type: string): Buffer {
  const keep: Buffer[] = [];
  for (let at = 0; at < chunks.length; ) {
    const len = chunks.readUInt32BE(at);
    const end = at + 12 + len;
    if (chunks.toString('latin1', at + 4, at + 8) !== type) keep.push(chunks.subarray(at, end));
    at = end;
  }
  return Buffer.concat(keep);
}
