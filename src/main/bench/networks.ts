import { BUILTIN_MNIST_REF, loadDataset } from '../engine/data';
import type { LoadedDataset } from '../engine/data/types';
import { mulberry32 } from '../engine/data/rng';
import { planNetwork } from '../engine/network';
import { magnitudeMask } from '../engine/prune';
import type { TrainJob } from '../engine/types';
import { denseMask, initialWeights } from '../engine/weights';
import { findPreset } from '../../shared/presets';
import { parseSpec, type ExperimentSpec, type ExperimentSpecInput } from '../../shared/spec';

/**
 * The networks of the benchmark, from the paper presets: LeNet-300-100 on MNIST and Conv-2 on CIFAR-10-shaped data
 * (issue 5), the deep ResNet-20 and VGG-19 on CIFAR-10-shaped data (SGD, batch norm, augmentation). Which of them
 * a backend times is the training section's plan: the deep ones are costly on the slow backends.
 */
export type BenchNet = 'lenet300' | 'conv2' | 'resnet20' | 'vgg19';
export const BENCH_NETS: readonly BenchNet[] = ['lenet300', 'conv2', 'resnet20', 'vgg19'];
export const NET_TITLE: Record<BenchNet, string> = { lenet300: 'LeNet-300-100', conv2: 'Conv-2', resnet20: 'ResNet-20', vgg19: 'VGG-19' };
/** The batch of LeNet-300-100 and Conv-2 (the paper's 60); the deep networks use their preset's (batchOf). */
export const BATCH = 60;
/** FLOPs of one LeNet-300-100 training step at batch 60: forward + two backward products per layer. */
export const LENET_STEP_FLOPS = 3 * 2 * (784 * 300 + 300 * 100 + 100 * 10) * BATCH;

const PRESET_OF: Record<BenchNet, string> = { lenet300: 'lenet300-mnist', conv2: 'conv2-cifar10', resnet20: 'resnet20-cifar10', vgg19: 'vgg19-cifar10' };

/** Parses a comma-separated list of bench networks (`lenet300,resnet20`); throws on a name it does not know. */
export function parseBenchNets(list: string): BenchNet[] {
  const names = list.split(',').map((x) => x.trim()).filter(Boolean);
  for (const n of names) if (!BENCH_NETS.includes(n as BenchNet)) throw new Error(`bench: unknown network '${n}' (known: ${BENCH_NETS.join(', ')})`);
  return names as BenchNet[];
}

/** Examples per training step: the preset's batch (60 for LeNet-300-100 and Conv-2, 128 ResNet-20, 64 VGG-19). */
export const batchOf = (net: BenchNet): number => benchSpec(net, { iterations: 1 }).training.batchSize;

/**
 * The preset's spec with the given overrides: its optimizer, batch, learning rate (without its schedule), weight
 * decay, augmentation and pruning rates (LeNet-300-100 and Conv-2: Adam, batch 60; ResNet-20: SGD momentum 0.9,
 * weight decay 1e-4, batch 128, crop+flip, conv 20% pruned globally, output 0%; VGG-19 the same at batch 64).
 */
export function benchSpec(net: BenchNet, over: { iterations: number; rounds?: number; evalInterval?: number; validationSize?: number; controls?: ('reinit' | 'random')[] }, dataset?: string): ExperimentSpec {
  const preset = findPreset(PRESET_OF[net])!;
  const s = preset.spec;
  const input: ExperimentSpecInput = {
    ...s,
    name: `bench ${NET_TITLE[net]}`,
    dataset: dataset ?? s.dataset,
    // No schedule: a chunk is a few steps, far inside ResNet-20's and VGG-19's warmup, and the rate does not change the speed.
    training: { ...s.training, schedule: undefined, iterations: over.iterations, evalInterval: over.evalInterval ?? over.iterations, validationSize: over.validationSize ?? 1 },
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

/** The dataset a network trains on in the benchmark: real MNIST, or CIFAR-shaped random data (Conv-2, ResNet-20, VGG-19). */
export function benchData(net: BenchNet): LoadedDataset {
  return net === 'lenet300' ? loadDataset(BUILTIN_MNIST_REF) : syntheticCifar();
}

/** A copy with a one-example test set: throughput runs evaluate only at their start and end, and that should cost nothing. */
export function withTinyTestSet(data: LoadedDataset): LoadedDataset {
  const size = data.shape[0] * data.shape[1] * data.shape[2];
  return { ...data, testImages: data.testImages.subarray(0, size), testLabels: data.testLabels.subarray(0, 1) };
}

/**
 * A training job masked as in pruning round 1 of its preset, by magnitude of the initial weights: LeNet-300-100
 * and Conv-2 layerwise (conv 10%, hidden dense 20%, output 10%), ResNet-20 and VGG-19 globally over the conv
 * weights (20%, output 0%). The preset's init (Glorot unless the network names another).
 */
export function maskedJob(spec: ExperimentSpec, data: LoadedDataset, trial = 0): TrainJob {
  const plan = planNetwork(spec.network, data.shape, data.numClasses);
  const init = initialWeights(plan.layers, spec.seed + trial, spec.network);
  const dense = denseMask(plan.layers);
  const mask = magnitudeMask(plan.layers, init, dense, dense, 1, spec.pruning);
  return { spec, trial, variant: 'ticket', round: 1, init, mask, startIteration: 0, captureAt: null };
}

/**
 * What the PyTorch peer's network must match: the weights of each conv and dense layer, in the lab's layer
 * order, and every trained parameter (kernels, biases (β under batch norm) and batch norm's γ).
 */
export function labParameterCounts(net: BenchNet): { layerWeights: number[]; weights: number; trainable: number } {
  const data = net === 'lenet300' ? { shape: [28, 28, 1] as [number, number, number] } : { shape: [32, 32, 3] as [number, number, number] };
  const plan = planNetwork(benchSpec(net, { iterations: 1 }).network, data.shape, 10);
  const layerWeights = plan.layers.map((l) => l.weights);
  const weights = layerWeights.reduce((a, b) => a + b, 0);
  const perChannel = plan.layers.reduce((a, l) => a + l.shape[l.shape.length - 1]! * (l.batchNorm ? 2 : 1), 0);
  return { layerWeights, weights, trainable: weights + perChannel };
}
