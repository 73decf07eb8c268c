import type { ExperimentDetail } from '../results';
import { ACCURACY_METRIC, tradeoffFigure } from './tradeoff';
import type { FigureOptions, FigureSpec } from './types';

/** The paper's headline plot: test accuracy at early stop against weights remaining, per variant. */
export function accuracyFigure(details: readonly ExperimentDetail[], options: FigureOptions): FigureSpec {
  return tradeoffFigure(ACCURACY_METRIC, details, options);
}
