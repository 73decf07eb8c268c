import type { LoadedDataset } from './data/types';
import { deriveSeed, rng } from './random';

/** Which examples a trial trains, validates and tests on; fixed per trial seed. */
export interface Split {
  trainIdx: Uint32Array;
  valIdx: Uint32Array;
}

export function splitTrainValidation(n: number, validationSize: number, seed: number): Split {
  if (validationSize >= n) throw new RangeError(`validationSize ${validationSize} leaves no training examples out of ${n}`);
  const perm = permutation(n, deriveSeed(seed, 'validation'));
  const valIdx = perm.slice(0, validationSize).sort();
  const trainIdx = perm.slice(validationSize).sort();
  return { trainIdx, valIdx };
}

function permutation(n: number, seed: number): Uint32Array {
  const next = rng(seed);
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

/**
 * The examples of iteration i: positions i*B .. i*B+B-1 of an endless stream of epochs, each its own
 * seeded shuffle of the training examples. Any iteration's batch is computed directly, which is what
 * resuming and late rewinding need.
 */
export function batchOrder(trainIdx: Uint32Array, batchSize: number, seed: number): (iteration: number) => Uint32Array {
  const n = trainIdx.length;
  let cachedEpoch = -1;
  let cached: Uint32Array = new Uint32Array(0);
  const out = new Uint32Array(batchSize);
  return (iteration) => {
    for (let b = 0; b < batchSize; b++) {
      const pos = iteration * batchSize + b;
      const epoch = Math.floor(pos / n);
      if (epoch !== cachedEpoch) {
        cached = permutation(n, deriveSeed(seed, 'epoch', epoch));
        cachedEpoch = epoch;
      }
      out[b] = trainIdx[cached[pos - epoch * n]!]!;
    }
    return out;
  };
}

/** Normalised float pixels ((x / 255 - mean) / std per channel) and labels for a list of examples. */
export class BatchWriter {
  private readonly lut: Float32Array[];
  private readonly size: number;
  private readonly channels: number;

  constructor(readonly data: LoadedDataset) {
    const [h, w, c] = data.shape;
    this.size = h * w * c;
    this.channels = c;
    // A 256-entry table per channel turns normalisation into one lookup per pixel in the hot loop.
    this.lut = data.mean.map((m, ch) => {
      const t = new Float32Array(256);
      for (let v = 0; v < 256; v++) t[v] = (v / 255 - m) / data.std[ch]!;
      return t;
    });
  }

  get exampleSize(): number {
    return this.size;
  }

  write(split: 'train' | 'test', indices: ArrayLike<number>, pixels: Float32Array, labels: Int32Array): void {
    const images = split === 'train' ? this.data.trainImages : this.data.testImages;
    const source = split === 'train' ? this.data.trainLabels : this.data.testLabels;
    const { size, channels } = this;
    for (let b = 0; b < indices.length; b++) {
      const ex = indices[b]!;
      const from = ex * size;
      const to = b * size;
      if (channels === 1) {
        const t = this.lut[0]!;
        for (let j = 0; j < size; j++) pixels[to + j] = t[images[from + j]!]!;
      } else {
        for (let j = 0; j < size; j++) pixels[to + j] = this.lut[j % channels]![images[from + j]!]!;
      }
      labels[b] = source[ex]!;
    }
  }
}
