import type { ExperimentSpecInput } from './spec';

/**
 * The paper's networks and hyperparameters (Frankle & Carbin 2019, Figure 2 and appendices).
 * Iterations and trials (5, with min/max bars) are the paper's; rounds are enough for the sparsest point the
 * paper's figures plot (about 1.9% of the weights: LeNet's Figure 3 ends at Pm = 1.9%, and the claim "as accurate
 * as dense down to 3.6%" needs the points around it). The CLI and the wizard override them for quick runs.
 */
export interface Preset {
  id: string;
  title: string;
  description: string;
  spec: ExperimentSpecInput;
}

const adam = (learningRate: number, iterations: number) => ({
  optimizer: 'adam' as const,
  learningRate,
  batchSize: 60,
  iterations,
  evalInterval: 100,
  validationSize: 5000,
});

/**
 * The deep networks of the paper's section 4: SGD 0.1, momentum 0.9, decay x0.1 at the milestones, linear warmup
 * (the paper finds tickets at rate 0.1 only with warmup: 20K iterations for ResNet, 10K for VGG; or with late
 * rewinding, k > 0), weight decay 1e-4, the standard CIFAR augmentation.
 */
const sgd = (batchSize: number, iterations: number, milestones: number[], warmupIterations: number) => ({
  optimizer: 'sgd' as const,
  learningRate: 0.1,
  momentum: 0.9,
  batchSize,
  iterations,
  evalInterval: 500,
  validationSize: 5000,
  schedule: { warmupIterations, milestones, gamma: 0.1 },
  weightDecay: 1e-4,
  augment: true,
});

export const PRESETS: readonly Preset[] = [
  {
    id: 'lenet300-mnist',
    title: 'LeNet-300-100 on MNIST',
    description: 'fc 300, 100, 10 (266K weights); Adam 1.2e-3, batch 60, 50K iterations; prune fc 20%, output 10% per round; 19 rounds, down to 1.9% of the weights; 5 trials',
    spec: {
      dataset: 'mnist',
      network: { preset: 'lenet300', conv: [], dense: [300, 100], dropout: 0 },
      training: adam(1.2e-3, 50_000),
      pruning: { strategy: 'layerwise', rates: { conv: 0.1, dense: 0.2, output: 0.1 }, rounds: 19, rewindIteration: 0 },
      controls: ['reinit', 'random'],
      trials: 5,
    },
  },
  {
    id: 'conv2-cifar10',
    title: 'Conv-2 on CIFAR-10',
    description: 'conv 64, 64, pool; fc 256, 256, 10 (4.3M weights); Adam 2e-4, batch 60, 20K iterations; prune conv 10%, fc 20%, output 10%; 19 rounds, down to 1.9%; 5 trials',
    spec: {
      dataset: 'cifar10',
      network: { preset: 'conv2', conv: [64, 64, 'pool'], dense: [256, 256], dropout: 0 },
      training: adam(2e-4, 20_000),
      pruning: { strategy: 'layerwise', rates: { conv: 0.1, dense: 0.2, output: 0.1 }, rounds: 19, rewindIteration: 0 },
      controls: ['reinit', 'random'],
      trials: 5,
    },
  },
  {
    id: 'conv4-cifar10',
    title: 'Conv-4 on CIFAR-10',
    description: 'conv 64, 64, pool, 128, 128, pool; fc 256, 256, 10 (2.4M weights); Adam 3e-4, batch 60, 25K iterations; prune conv 10%, fc 20%, output 10%; 23 rounds, down to 1.7%; 5 trials',
    spec: {
      dataset: 'cifar10',
      network: { preset: 'conv4', conv: [64, 64, 'pool', 128, 128, 'pool'], dense: [256, 256], dropout: 0 },
      training: adam(3e-4, 25_000),
      pruning: { strategy: 'layerwise', rates: { conv: 0.1, dense: 0.2, output: 0.1 }, rounds: 23, rewindIteration: 0 },
      controls: ['reinit', 'random'],
      trials: 5,
    },
  },
  {
    id: 'conv6-cifar10',
    title: 'Conv-6 on CIFAR-10',
    description: 'conv 64, 64, pool, 128, 128, pool, 256, 256, pool; fc 256, 256, 10 (2.26M weights as described); Adam 3e-4, batch 60, 30K iterations; prune conv 15%, fc 20%, output 10%; 23 rounds, down to 1.8%; 5 trials',
    spec: {
      dataset: 'cifar10',
      network: { preset: 'conv6', conv: [64, 64, 'pool', 128, 128, 'pool', 256, 256, 'pool'], dense: [256, 256], dropout: 0 },
      training: adam(3e-4, 30_000),
      pruning: { strategy: 'layerwise', rates: { conv: 0.15, dense: 0.2, output: 0.1 }, rounds: 23, rewindIteration: 0 },
      controls: ['reinit', 'random'],
      trials: 5,
    },
  },
  {
    id: 'resnet20-cifar10',
    title: 'ResNet-20 on CIFAR-10',
    description:
      'the paper\'s "Resnet-18": 3x3 conv 16, 3 stages x 3 basic blocks (16, 32, 64), batch norm, average pool, fc 10 (271K weights); SGD 0.1 momentum 0.9, x0.1 at 20K and 25K, warmup 20K, weight decay 1e-4, batch 128, 30K iterations, random crop and flip; prune conv 20% globally, fc 0%; 19 rounds; 5 trials',
    spec: {
      dataset: 'cifar10',
      network: { preset: 'resnet20', conv: [], dense: [], dropout: 0, residual: { widths: [16, 32, 64], blocks: 3 }, batchNorm: true },
      training: sgd(128, 30_000, [20_000, 25_000], 20_000),
      pruning: { strategy: 'global', globalRate: 0.2, rates: { conv: 0.2, dense: 0.2, output: 0 }, rounds: 19, rewindIteration: 0 },
      controls: ['reinit', 'random'],
      trials: 5,
    },
  },
  {
    id: 'vgg19-cifar10',
    title: 'VGG-19 on CIFAR-10',
    description:
      'conv 64,64,P,128,128,P,256x4,P,512x4,P,512x4, each with batch norm, average pool, fc 10 (20.0M weights); SGD 0.1 momentum 0.9, x0.1 at epochs 80 and 120 (iterations 56,240 and 84,360), warmup 10K, weight decay 1e-4, batch 64, 160 epochs = 112,480 iterations, random crop and flip; prune conv 20% globally, fc 0%; 19 rounds; 5 trials',
    spec: {
      dataset: 'cifar10',
      network: {
        preset: 'vgg19',
        conv: [64, 64, 'pool', 128, 128, 'pool', 256, 256, 256, 256, 'pool', 512, 512, 512, 512, 'pool', 512, 512, 512, 512],
        dense: [],
        dropout: 0,
        batchNorm: true,
        pooling: 'average',
      },
      // The paper's 160 epochs are 112,480 iterations: 703 per epoch (45,000 examples after the 5,000 held out, batch 64).
      training: sgd(64, 112_480, [56_240, 84_360], 10_000),
      pruning: { strategy: 'global', globalRate: 0.2, rates: { conv: 0.2, dense: 0.2, output: 0 }, rounds: 19, rewindIteration: 0 },
      controls: ['reinit', 'random'],
      trials: 5,
    },
  },
];

export function findPreset(id: string): Preset | undefined {
  return PRESETS.find((p) => p.id === id);
}
