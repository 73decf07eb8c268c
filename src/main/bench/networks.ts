import { BUILTIN_MNIST_REF, loadDataset } from '../engine/data';
import type { LoadedDataset } from '../engine/data/types';
import { mulberry32 } from '../engine/data/rng';
import { planNetwork } from '../engine/network';
import { magnitudeMask } from '../engine/prune';
import type { TrainJob } from '../engine/types';
import { denseMask, glorotInit } from '../engine/weights';
import { findPreset } from '../../shared/presets';
import { parseSpec, type ExperimentSpec, type ExperimentSpecInput } from '../../shared/spec';

/** The two networks of issue 5, from the paper presets: LeNet-300-100 on MNIST and Conv-2 on CIFAR-10-shaped data. */
export type BenchNet = 'lenet300' | 'conv2';
export const BENCH_NETS: readonly BenchNet[] = ['lenet300', 'conv2'];
export const NET_TITLE: Record<BenchNet, string> = { lenet300: 'LeNet-300-100', conv2: 'Conv-2' };
export const BATCH = 60;
/** FLOPs of one LeNet-300-100 training step at batch 60: forward + two backward products per layer. */
export const LENET_STEP_FLOPS = 3 * 2 * (784 * 300 + 300 * 100 + 100 * 10) * BATCH;

const PRESET_OF: Record<BenchNet, string> = { lenet300: 'lenet300-mnist', conv2: 'conv2-cifar10' };

/** The preset's spec (Adam, batch 60, its learning rate and pruning rates) with the given overrides. */
export function benchSpec(net: BenchNet, over: { iterations: number; rounds?: number; evalInterval?: number; validationSize?: number; controls?: ('reinit' | 'random')[] }, dataset?: string): ExperimentSpec {
  const preset = findPreset(PRESET_OF[net])!;
  const s = preset.spec;
  const input: ExperimentSpecInput = {
    ...s,
    name: `bench ${NET_TITLE[net]}`,
    dataset: dataset ?? s.dataset,
    training: { ...s.training, iterations: over.iterations, evalInterval: over.evalInterval ?? over.iterations, validationSize: over.validationSize ?? 1 },
    pruning: { ...s.pruning, rounds: over.rounds ?? 1 },
    controls: over.controls ?? [],
    trials: 1,
    seed: 1,
  };
  return parseSpec(input);
}

/** CIFAR-10 is not shipped: random 32x32x3 images with CIFAR's shape and class count (speed does not depend on pixels). */
export function syntheticCifar(train = 1200, test = 200): LoadedDataset {
  const r = mulberry32(12345);
  const bytes = (n: number) => {
    const a = new Uint8Array(n);
    for (let i = 0; i < n; i++) a[i] = r.int(256);
    return a;
  };
  const labels = (n: number) => Uint8Array.from({ length: n }, () => r.int(10));
  return {
    id: 'bench-cifar-shaped',
    hash: 'synthetic',
    shape: [32, 32, 3],
    numClasses: 10,
    classNames: Array.from({ length: 10 }, (_, i) => `c${i}`),
    trainImages: bytes(train * 3072),
    trainLabels: labels(train),
    testImages: bytes(test * 3072),
    testLabels: labels(test),
    mean: [0.5, 0.5, 0.5],
    std: [0.29, 0.29, 0.29],
  };
}

/** The dataset a network trains on in the benchmark: real MNIST, or CIFAR-shaped random data. */
export function benchData(net: BenchNet): LoadedDataset {
  return net === 'lenet300' ? loadDataset(BUILTIN_MNIST_REF) : syntheticCifar();
}

/** A copy with a one-example test set: throughput runs evaluate only at their start and end, and that should cost nothing. */
export function withTinyTestSet(data: LoadedDataset): LoadedDataset {
  const size = data.shape[0] * data.shape[1] * data.shape[2];
  return { ...data, testImages: data.testImages.subarray(0, size), testLabels: data.testLabels.subarray(0, 1) };
}

/** A training job masked as in pruning round 1 (conv 10%, hidden dense 20%, output 10% pruned by magnitude). */
export function maskedJob(spec: ExperimentSpec, data: LoadedDataset, trial = 0): TrainJob {
  const plan = planNetwork(spec.network, data.shape, data.numClasses);
  const init = glorotInit(plan.layers, spec.seed + trial);
  const dense = denseMask(plan.layers);
  const mask = magnitudeMask(plan.layers, init, dense, dense, 1, spec.pruning);
  return { spec, trial, variant: 'ticket', round: 1, init, mask, startIteration: 0, captureAt: null };
}
