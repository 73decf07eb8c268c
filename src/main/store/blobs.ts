import type { LayerInfo } from '../../shared/results';
import type { Mask, WeightSet } from '../engine/types';
import { StoreError } from './errors';
import { biasLength, normLength, totalBiases, totalNorms, totalWeights } from './layers';

/*
 * Blob layouts (also the ticket folder's mask.bin / rewind.bin):
 * - mask: one bit per prunable weight, all layers concatenated in layer order, bit i in byte i>>3 at bit
 *   (i & 7) (least significant first), trailing pad bits zero. 32x smaller than the engine's 0/1 bytes.
 * - weights: float32 little-endian, all kernels in layer order, then all biases in layer order, then the
 *   batch-norm state [γ, running mean, running variance] of each layer with batch norm, in layer order; the
 *   layers json gives every length, so the blob needs no header (and networks without batch norm keep the
 *   layout they always had).
 * - series: float64 little-endian (eval curves keep JS numbers bit for bit).
 */

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function packMask(mask: Mask, layers: readonly LayerInfo[]): Buffer {
  if (mask.length !== layers.length) throw new StoreError(`mask has ${mask.length} layers, expected ${layers.length}`);
  const total = totalWeights(layers);
  const out = Buffer.alloc(Math.ceil(total / 8));
  let bit = 0;
  for (const [i, layer] of layers.entries()) {
    const m = mask[i]!;
    if (m.length !== layer.weights) throw new StoreError(`mask of layer ${layer.name} has ${m.length} entries, expected ${layer.weights}`);
    for (let j = 0; j < m.length; j++, bit++) {
      const v = m[j]!;
      if (v === 1) out[bit >> 3]! |= 1 << (bit & 7);
      else if (v !== 0) throw new StoreError(`mask of layer ${layer.name} holds ${v} at ${j}: only 0 and 1 are allowed`);
    }
  }
  return out;
}

export function unpackMask(blob: Uint8Array, layers: readonly LayerInfo[]): Mask {
  const total = totalWeights(layers);
  const bytes = Math.ceil(total / 8);
  if (blob.length !== bytes) throw new StoreError(`mask blob has ${blob.length} bytes, expected ${bytes} for ${total} weights`, 'corrupt');
  if (total % 8 !== 0 && blob[bytes - 1]! >> (total % 8) !== 0) throw new StoreError('mask blob has non-zero padding bits', 'corrupt');
  const mask: Mask = [];
  let bit = 0;
  for (const layer of layers) {
    const m = new Uint8Array(layer.weights);
    for (let j = 0; j < m.length; j++, bit++) m[j] = (blob[bit >> 3]! >> (bit & 7)) & 1;
    mask.push(m);
  }
  return mask;
}

/** Kept weights per layer, counted straight from the packed bits. */
export function maskDensity(blob: Uint8Array, layers: readonly LayerInfo[]): number[] {
  return unpackMask(blob, layers).map((m, i) => {
    let kept = 0;
    for (const v of m) kept += v;
    return kept / layers[i]!.weights;
  });
}

export function weightsByteLength(layers: readonly LayerInfo[]): number {
  return 4 * (totalWeights(layers) + totalBiases(layers) + totalNorms(layers));
}

export function packWeights(w: WeightSet, layers: readonly LayerInfo[]): Buffer {
  if (w.kernels.length !== layers.length || w.biases.length !== layers.length) {
    throw new StoreError(`weights have ${w.kernels.length} kernels and ${w.biases.length} biases, expected ${layers.length} of each`);
  }
  const parts: Float32Array[] = [];
  layers.forEach((l, i) => {
    const k = w.kernels[i]!;
    if (k.length !== l.weights) throw new StoreError(`kernel of layer ${l.name} has ${k.length} values, expected ${l.weights}`);
    parts.push(k);
  });
  layers.forEach((l, i) => {
    const b = w.biases[i]!;
    if (b.length !== biasLength(l)) throw new StoreError(`bias of layer ${l.name} has ${b.length} values, expected ${biasLength(l)}`);
    parts.push(b);
  });
  const hasNorms = layers.some((l) => l.batchNorm);
  if (hasNorms && !w.norms) throw new StoreError('weights carry no batch-norm state, and the network has batch norm');
  layers.forEach((l, i) => {
    if (!l.batchNorm) return;
    const n = w.norms![i]!;
    if (n?.length !== normLength(l)) throw new StoreError(`batch norm of layer ${l.name} has ${n?.length ?? 0} values, expected ${normLength(l)}`);
    parts.push(n);
  });
  const out = Buffer.alloc(weightsByteLength(layers));
  let offset = 0;
  for (const p of parts) {
    writeF32(out, offset, p);
    offset += p.length * 4;
  }
  return out;
}

export function unpackWeights(blob: Uint8Array, layers: readonly LayerInfo[]): WeightSet {
  const expected = weightsByteLength(layers);
  if (blob.length !== expected) throw new StoreError(`weights blob has ${blob.length} bytes, expected ${expected}`, 'corrupt');
  let offset = 0;
  const take = (n: number): Float32Array => {
    const a = readF32(blob, offset, n);
    offset += n * 4;
    return a;
  };
  const kernels = layers.map((l) => take(l.weights));
  const biases = layers.map((l) => take(biasLength(l)));
  if (!layers.some((l) => l.batchNorm)) return { kernels, biases };
  const norms = layers.map((l) => take(normLength(l)));
  return { kernels, biases, norms };
}

function writeF32(out: Buffer, offset: number, values: Float32Array): void {
  if (LITTLE_ENDIAN) {
    out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), offset);
  } else {
    const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
    for (let i = 0; i < values.length; i++) dv.setFloat32(offset + 4 * i, values[i]!, true);
  }
}

/** Copies: SQLite's Buffers need not be 4-byte aligned, and callers may keep the arrays. */
function readF32(blob: Uint8Array, offset: number, n: number): Float32Array {
  const a = new Float32Array(n);
  if (LITTLE_ENDIAN) {
    new Uint8Array(a.buffer).set(blob.subarray(offset, offset + n * 4));
  } else {
    const dv = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    for (let i = 0; i < n; i++) a[i] = dv.getFloat32(offset + 4 * i, true);
  }
  return a;
}

export function packF64(values: readonly number[]): Buffer {
  const out = Buffer.alloc(values.length * 8);
  values.forEach((v, i) => out.writeDoubleLE(v, i * 8));
  return out;
}

/** Float32 values (little-endian): the per-10-step loss means, already rounded to float32. */
export function packF32(values: readonly number[]): Buffer {
  const out = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => out.writeFloatLE(v, i * 4));
  return out;
}

export function unpackF32(blob: Uint8Array): number[] {
  if (blob.length % 4 !== 0) throw new StoreError(`float32 series blob has ${blob.length} bytes, not a multiple of 4`, 'corrupt');
  const b = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  const out = new Array<number>(blob.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = b.readFloatLE(i * 4);
  return out;
}

export function unpackF64(blob: Uint8Array, n: number): number[] {
  if (blob.length !== n * 8) throw new StoreError(`series blob has ${blob.length} bytes, expected ${n * 8}`, 'corrupt');
  const b = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = b.readDoubleLE(i * 8);
  return out;
}

/** Which entries of a series are null (bit set), packed like a mask; null when none is. */
export function packNulls(values: readonly (number | null)[]): Buffer | null {
  if (!values.some((v) => v === null)) return null;
  const out = Buffer.alloc(Math.ceil(values.length / 8));
  values.forEach((v, i) => {
    if (v === null) out[i >> 3]! |= 1 << (i & 7);
  });
  return out;
}

export function isNullAt(nulls: Uint8Array | null, i: number): boolean {
  return nulls !== null && (((nulls[i >> 3] ?? 0) >> (i & 7)) & 1) === 1;
}
