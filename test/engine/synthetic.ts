import type { LoadedDataset } from '../../src/main/engine/data/types';
import { mulberry32 } from '../../src/main/engine/data/rng';
import { parseSpec, type ExperimentSpec, type ExperimentSpecInput } from '../../src/shared/spec';

/**
 * A tiny learnable dataset: 8x8 grey images whose class is which quadrant is bright, plus noise.
 * Small enough that a few dozen iterations train it, real enough that accuracy moves.
 */
export function quadrantDataset(train = 400, test = 200, seed = 1): LoadedDataset {
  const r = mulberry32(seed);
  const make = (n: number) => {
    const images = new Uint8Array(n * 64);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const label = r.int(4);
      labels[i] = label;
      for (let y = 0; y < 8; y++)
        for (let x = 0; x < 8; x++) {
          const q = (y >= 4 ? 2 : 0) + (x >= 4 ? 1 : 0);
          images[i * 64 + y * 8 + x] = Math.min(255, (q === label ? 170 : 30) + r.int(80));
        }
    }
    return { images, labels };
  };
  const tr = make(train);
  const te = make(test);
  return {
    id: 'quadrants',
    hash: 'synthetic',
    shape: [8, 8, 1],
    numClasses: 4,
    classNames: ['tl', 'tr', 'bl', 'br'],
    trainImages: tr.images,
    trainLabels: tr.labels,
    testImages: te.images,
    testLabels: te.labels,
    mean: [0.3],
    std: [0.25],
  };
}

export function tinySpec(overrides: Partial<ExperimentSpecInput> = {}): ExperimentSpec {
  const base: ExperimentSpecInput = {
    dataset: 'quadrants',
    network: { conv: [], dense: [16, 12], dropout: 0 },
    training: { optimizer: 'adam', learningRate: 0.01, batchSize: 20, iterations: 40, evalInterval: 10, validationSize: 100 },
    pruning: { strategy: 'layerwise', rates: { conv: 0.1, dense: 0.2, output: 0.1 }, rounds: 3, rewindIteration: 0 },
    controls: [],
    trials: 1,
    seed: 7,
  };
  return parseSpec({ ...base, ...overrides });
}

/**
 * A tiny learnable colour dataset, CIFAR-shaped but 8x8x3: the class is which colour channel a bright
 * off-centre blob has, so crops and flips keep the label (augmentation can run on it).
 */
export function colourDataset(train = 240, test = 120, seed = 2, size = 8): LoadedDataset {
  const r = mulberry32(seed);
  const classes = 3;
  const px = size * size * 3;
  const make = (n: number) => {
    const images = new Uint8Array(n * px);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const label = r.int(classes);
      labels[i] = label;
      const cy = 2 + r.int(size - 4);
      const cx = 2 + r.int(size - 4);
      for (let y = 0; y < size; y++)
        for (let x = 0; x < size; x++)
          for (let c = 0; c < 3; c++) {
            const near = Math.abs(y - cy) <= 1 && Math.abs(x - cx) <= 1;
            images[i * px + (y * size + x) * 3 + c] = Math.min(255, (near && c === label ? 200 : 40) + r.int(50));
          }
    }
    return { images, labels };
  };
  const tr = make(train);
  const te = make(test);
  return {
    id: 'colours',
    hash: 'synthetic-colours',
    shape: [size, size, 3],
    numClasses: classes,
    classNames: ['red', 'green', 'blue'],
    trainImages: tr.images,
    trainLabels: tr.labels,
    testImages: te.images,
    testLabels: te.labels,
    mean: [0.25, 0.25, 0.25],
    std: [0.2, 0.2, 0.2],
  };
}
