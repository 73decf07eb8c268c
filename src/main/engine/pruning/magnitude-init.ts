import { denseMask } from '../weights';
import { keepCount, keepTopScores, rankedScores } from './common';
import type { AtInitMethod } from './types';

/** Magnitude at initialisation (the baseline of Frankle et al. 2021, "Pruning neural networks at initialization: why are we missing the mark?"): keep the largest |θ0| globally. */
export const magnitudeInit: AtInitMethod = {
  name: 'magnitude-init',
  description: 'Magnitude at init (Frankle et al. 2021 baseline): keep the largest |θ0| across layers, before training',
  needsData: false,
  mask(ctx) {
    const scores = ctx.init.kernels.map((k) => Float32Array.from(k, Math.abs));
    return keepTopScores(rankedScores(ctx, scores), denseMask(ctx.layers), ctx.pool, keepCount(ctx.layers, ctx.pool, ctx.density));
  },
};
