import { deriveSeed, sampleWithoutReplacement } from '../random';
import type { AtInitMethod } from './types';

/** Random pruning at initialisation (the baseline of Frankle et al. 2021): each pooled layer keeps round(n · density) uniformly random weights. */
export const randomInit: AtInitMethod = {
  name: 'random',
  description: 'Random at init (Frankle et al. 2021 baseline): every layer keeps the same fraction of weights, at random positions',
  needsData: false,
  mask(ctx) {
    return ctx.layers.map((l, i) => {
      const out = new Uint8Array(l.weights);
      if (!ctx.pool.includes(i)) return out.fill(1);
      const keep = Math.round(l.weights * ctx.density);
      for (const j of sampleWithoutReplacement(l.weights, keep, deriveSeed(ctx.seed, 'random-init', i))) out[j] = 1;
      return out;
    });
  },
};
