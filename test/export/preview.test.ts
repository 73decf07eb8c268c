import { describe, it } from 'vitest';
import { exportFigures } from '../../src/main/export';
import { lenetExperiment, lenetHeatmap } from './fixture';
import type { FigureKind } from '../../src/shared/figures';

// Writes preview files for a person to look at when LTH_FIGURE_PREVIEW names a folder.
const dir = process.env.LTH_FIGURE_PREVIEW;
describe.skipIf(!dir)('figure previews', () => {
  it('writes every figure at single and double width', async () => {
    const d = lenetExperiment();
    const d2 = lenetExperiment({ id: 'exp-b', name: 'Global pruning', shift: -0.003, seed: 9 });
    const kinds: FigureKind[] = ['accuracy', 'early-stop', 'curves', 'layers', 'mask'];
    for (const figure of kinds) {
      for (const [w, tag] of [[3.5, 'single'], [7, 'double']] as const) {
        await exportFigures([d], { figure, formats: ['png', 'pdf', 'svg'], widthInches: w, outDir: `${dir}/${tag}`, mask: { ...lenetHeatmap(), ticket: { id: 't1', trial: 0, round: 4, weightsRemaining: 0.41 } } });
      }
    }
    await exportFigures([d, d2], { figure: 'accuracy', formats: ['png'], widthInches: 3.5, outDir: `${dir}/compare` });
    await exportFigures([d, d2], { figure: 'accuracy', formats: ['png'], widthInches: 7, outDir: `${dir}/compare-double` });
    const long = lenetExperiment({ rounds: 21 });
    for (const [w, tag] of [[3.5, 'long-single'], [7, 'long-double']] as const) {
      await exportFigures([long], { figure: 'accuracy', formats: ['png', 'pdf'], widthInches: w, outDir: `${dir}/${tag}` });
    }
  });
});
