import { mixSeed, permutation } from './rng';
import { channelStatsOf } from './stats';
import type { LoadedDataset } from './types';

// Tags keep the split's and the order's streams apart even for equal seeds.
const SPLIT_TAG = 0x5b117;
const ORDER_TAG = 0x0bde2;

/**
 * Holds out `validationSize` of the `n` training examples, chosen by `seed`. Both index lists are
 * sorted ascending, so the split is a set: the training order comes from `exampleOrder`.
 */
export function splitTrainValidation(n: number, validationSize: number, seed: number): { trainIdx: Uint32Array; valIdx: Uint32Array } {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`splitTrainValidation: n must be a positive integer, got ${n}`);
  if (!Number.isInteger(validationSize) || validationSize < 0 || validationSize >= n) {
    throw new RangeError(`splitTrainValidation: validationSize must be an integer in 0..${n - 1}, got ${validationSize}`);
  }
  const perm = permutation(n, mixSeed(seed, SPLIT_TAG));
  const valIdx = perm.slice(0, validationSize).sort();
  const trainIdx = perm.slice(validationSize).sort();
  return { trainIdx, valIdx };
}

/** Example indices of iteration `iteration`'s batch; writes into `out` when given (no allocation). */
export type BatchOrder = (iteration: number, out?: Uint32Array) => Uint32Array;

/**
 * The training stream: epoch e is `trainIdx` in the order of its own permutation, seeded by
 * (seed, e), and the epochs follow each other without a gap, so a batch may straddle two epochs.
 * Iteration i's batch is positions i*B .. i*B+B-1 of that stream, computed directly: resuming at
 * iteration 12345 gives exactly the batches an uninterrupted run would have seen. The last two
 * epochs' permutations are cached, which covers a batch straddling a boundary.
 */
export function exampleOrder(trainIdx: Uint32Array, seed: number, batchSize: number): BatchOrder {
  const m = trainIdx.length;
  if (m === 0) throw new RangeError('exampleOrder: no training examples');
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`exampleOrder: batchSize must be a positive integer, got ${batchSize}`);
  const cached: { epoch: number; order: Uint32Array }[] = [];
  const epochOrder = (epoch: number): Uint32Array => {
    for (const c of cached) if (c.epoch === epoch) return c.order;
    const perm = permutation(m, mixSeed(seed, ORDER_TAG, epoch));
    for (let k = 0; k < m; k++) perm[k] = trainIdx[perm[k]!]!;
    cached.push({ epoch, order: perm });
    if (cached.length > 2) cached.shift();
    return perm;
  };
  return (iteration: number, out?: Uint32Array): Uint32Array => {
    if (!Number.isInteger(iteration) || iteration < 0) throw new RangeError(`exampleOrder: bad iteration ${iteration}`);
    const dst = out ?? new Uint32Array(batchSize);
    if (dst.length < batchSize) throw new RangeError(`exampleOrder: out holds ${dst.length}, batch size is ${batchSize}`);
    let pos = iteration * batchSize;
    let k = 0;
    while (k < batchSize) {
      const epoch = Math.floor(pos / m);
      const start = pos - epoch * m;
      const order = epochOrder(epoch);
      const take = Math.min(batchSize - k, m - start);
      dst.set(order.subarray(start, start + take), k);
      k += take;
      pos += take;
    }
    return dst;
  };
}

const tables = new WeakMap<LoadedDataset, Float32Array>();
const splitTables = new WeakMap<LoadedDataset, Map<string, Float32Array>>();

function lookupTable(mean: readonly number[], std: readonly number[], channels: number): Float32Array {
  const t = new Float32Array(256 * channels);
  for (let c = 0; c < channels; c++) {
    const m = mean[c] ?? 0;
    const sd = std[c] ?? 1;
    const div = sd > 0 ? sd : 1;
    for (let v = 0; v < 256; v++) t[c * 256 + v] = (v / 255 - m) / div;
  }
  return t;
}

/**
 * The table with statistics over the training examples `trainIdx` only, so the held-out validation
 * images never inform the inputs of the network they select. `key` names the split (it is a function
 * of the trial seed and the validation size) for caching across the runs of a trial.
 */
export function splitNormalizationTable(ds: LoadedDataset, trainIdx: Uint32Array, key: string): Float32Array {
  let perSplit = splitTables.get(ds);
  if (!perSplit) splitTables.set(ds, (perSplit = new Map()));
  let t = perSplit.get(key);
  if (t) return t;
  const [h, w, c] = ds.shape;
  const stats = channelStatsOf(ds.trainImages, h * w * c, c, trainIdx);
  t = lookupTable(stats.mean, stats.std, c);
  // A handful of splits per process (one per trial); bound it anyway for long-lived servers.
  if (perSplit.size >= 32) perSplit.delete(perSplit.keys().next().value!);
  perSplit.set(key, t);
  return t;
}

/**
 * 256 entries per channel: entry [c*256 + v] = (v/255 - mean[c]) / std[c]. A channel whose std is 0
 * (every pixel equal) is only centred, dividing by 1, rather than producing NaN.
 */
export function normalizationTable(ds: LoadedDataset): Float32Array {
  let t = tables.get(ds);
  if (t) return t;
  t = lookupTable(ds.mean, ds.std, ds.shape[2]);
  tables.set(ds, t);
  return t;
}

/**
 * Writes the normalised pixels of examples `indices` of the split into `out`, NHWC, example k at
 * offset k*H*W*C; and their labels into `outLabels`: class indices for an Int32Array, one-hot rows
 * of numClasses for a Float32Array. Entries past the batch are left as they are (a short last batch).
 * `lut` is the normalisation table (default: statistics over every training image).
 */
export function fillBatch(
  ds: LoadedDataset,
  indices: ArrayLike<number>,
  out: Float32Array,
  outLabels: Int32Array | Float32Array | null,
  split: 'train' | 'test' = 'train',
  lut: Float32Array = normalizationTable(ds),
): void {
  const images = split === 'train' ? ds.trainImages : ds.testImages;
  const labels = split === 'train' ? ds.trainLabels : ds.testLabels;
  const channels = ds.shape[2];
  const size = ds.shape[0] * ds.shape[1] * channels;
  const n = indices.length;
  const count = labels.length;
  if (out.length < n * size) throw new RangeError(`fillBatch: out holds ${out.length} floats, ${n} examples need ${n * size}`);
  const oneHot = outLabels instanceof Float32Array;
  const classes = ds.numClasses;
  if (outLabels && outLabels.length < (oneHot ? n * classes : n)) {
    throw new RangeError(`fillBatch: outLabels holds ${outLabels.length}, ${n} examples need ${oneHot ? n * classes : n}`);
  }
  if (oneHot) outLabels.fill(0, 0, n * classes);
  for (let k = 0; k < n; k++) {
    const idx = indices[k]!;
    if (!(idx >= 0 && idx < count) || !Number.isInteger(idx)) throw new RangeError(`fillBatch: index ${idx} outside the ${split} set of ${count}`);
    const src = idx * size;
    const dst = k * size;
    if (channels === 1) {
      for (let j = 0; j < size; j++) out[dst + j] = lut[images[src + j]!]!;
    } else if (channels === 3) {
      for (let j = 0; j < size; j += 3) {
        out[dst + j] = lut[images[src + j]!]!;
        out[dst + j + 1] = lut[256 + images[src + j + 1]!]!;
        out[dst + j + 2] = lut[512 + images[src + j + 2]!]!;
      }
    } else {
      for (let j = 0; j < size; j++) out[dst + j] = lut[(j % channels) * 256 + images[src + j]!]!;
    }
    if (outLabels) {
      const label = labels[idx]!;
      if (oneHot) outLabels[k * classes + label] = 1;
      else outLabels[k] = label;
    }
  }
}
