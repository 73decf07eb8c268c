import type { ExperimentDetail } from '../results';
import { EARLY_STOP_METRIC, tradeoffFigure } from './tradeoff';
import type { FigureOptions, FigureSpec } from './types';

/** How fast each variant learns: the iteration of minimum validation loss against weights remaining. */
export function earlyStopFigure(details: readonly ExperimentDetail[], options: FigureOptions): FigureSpec {
  return tradeoffFigure(EARLY_STOP_METRIC, details, options);
}
