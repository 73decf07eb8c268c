/** The training step's explanations: what the paper and open_lth use, and why deep networks need more. */

export const OPTIMIZER_SENTENCE = 'the paper: Adam for LeNet and Conv-2/4/6, SGD with momentum for ResNet-20 and VGG-19';

export const AUGMENT_SENTENCE = 'crop from a 4-pixel zero-padded copy, flip left-right half the time; seeded per trial and iteration (CIFAR\'s standard, ResNet-20 and VGG-19)';

/** Crop and flip are CIFAR's: a flipped digit or letter is another class, so say so where the input is not colour. */
export function augmentNote(channels: number | null, augment: boolean): string | null {
  if (!augment || channels === null || channels === 3) return null;
  return `Crop + flip is the CIFAR (colour image) augmentation; on ${channels}-channel inputs such as digits a flip can change what the image shows.`;
}

export const WARMUP_SENTENCE = 'rate rises linearly from 0 over W iterations (0 = none); at 0.1, ResNet-20 and VGG-19 find tickets only with it (20K, 10K) or late rewinding';
export const MILESTONES_SENTENCE = 'multiply the rate by the factor below at each, e.g. 20000, 25000 for ResNet-20 (empty = constant)';
export const GAMMA_SENTENCE = '0.1 for ResNet-20 and VGG-19';
export const WEIGHT_DECAY_SENTENCE = 'L2 penalty added to every gradient (0 = none); 1e-4 for ResNet-20 and VGG-19';

/**
 * Frankle et al. 2019 ("Stabilizing the Lottery Ticket Hypothesis"): IMP rewinding to iteration 0 finds no tickets in
 * deep networks at rate 0.1; rewinding to an early iteration k (500 or 2000 for ResNet-20) or warmup does.
 */
export const LATE_REWINDING_SENTENCE =
  'Deep networks need late rewinding (k > 0) or warmup to find tickets: Frankle et al. 2019 rewind ResNet-20 to k = 500 or 2000 iterations; at k = 0 without warmup the pruned network does no better than a random reinit.';

/** Deep enough that rewinding to iteration 0 fails without warmup: residual, or more conv layers than the paper's Conv-6. */
export function isDeepNetwork(network: { conv?: (number | 'pool')[] | undefined; residual?: unknown }): boolean {
  return network.residual !== undefined || (network.conv ?? []).filter((l) => l !== 'pool').length > 6;
}
