import type { ExperimentDetail } from '../results';
import { accuracyFigure } from './accuracy';
import { curvesFigure } from './curves';
import { earlyStopFigure } from './early-stop';
import { FigureOptionError } from './errors';
import { layersFigure } from './layers';
import { maskFigure } from './mask';
import { earlyBirdFigure, stabilityBarrierFigure, stabilityPathFigure } from './stability';
import { overlapFigure } from './overlap';
import type { OverlapMatrix } from '../analyses/overlap';
import { parseFigure, type FigureKind } from './options';
import type { FigureOptions, FigureSpec, MaskInput } from './types';

export * from './errors';
export * from './options';
export * from './types';
export { toCsv } from './csv';
export { latexTable } from './latex-table';
export { markdownTable } from './markdown-table';
export { resultsRows, compressionRatio, theoreticalSpeedup, type ResultsRow } from './results-table';
export { SCREEN_THEME, figureStyle, type FigureMedium, type FigureStyle, type ScreenTheme } from './style';
export { factorLegend, legendOptions, legendSymbols, type LegendEntry } from './legend';
export { accuracyFigure, curvesFigure, earlyStopFigure, layersFigure, maskFigure, stabilityBarrierFigure, stabilityPathFigure, earlyBirdFigure, overlapFigure };

/** The one entry point the exporter and the window share: figure kind + stored results -> FigureSpec. */
export function describeFigure(
  kind: FigureKind,
  input: { experiments: readonly ExperimentDetail[]; mask?: MaskInput; overlap?: OverlapMatrix },
  options: FigureOptions,
): FigureSpec {
  switch (kind) {
    case 'accuracy':
      return accuracyFigure(input.experiments, options);
    case 'early-stop':
      return earlyStopFigure(input.experiments, options);
    case 'curves':
      return curvesFigure(input.experiments, options);
    case 'layers':
      return layersFigure(input.experiments, options);
    case 'stability-path':
      return stabilityPathFigure(input.experiments, options);
    case 'stability-barrier':
      return stabilityBarrierFigure(input.experiments, options);
    case 'early-bird':
      return earlyBirdFigure(input.experiments, options);
    case 'overlap':
      return overlapFigure(input.overlap, options);
    case 'mask':
      if (!input.mask) throw new FigureOptionError('the mask figure needs a ticket (--ticket ID)');
      return maskFigure(input.mask, options);
    default:
      // Callers outside TypeScript (IPC, the browser mode) can pass anything.
      return parseFigure(String(kind)) as never;
  }
}
