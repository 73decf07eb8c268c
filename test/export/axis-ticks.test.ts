import { describe, expect, it } from 'vitest';
import { percentTickFormat } from '../../src/shared/figures/series';
import { figureStyle } from '../../src/shared/figures/style';
import { weightsRemainingAxis } from '../../src/shared/figures/weights-axis';

/** The labels Chart.js would draw: the axis's own tick list through its own callback. */
function labels(percents: number[], widthInches = 6): string[] {
  const axis = weightsRemainingAxis(percents, figureStyle({ widthInches }, 0.5));
  const scale = { ticks: [] as { value: number }[] };
  axis.afterBuildTicks(scale as never);
  return scale.ticks.map((t) => axis.ticks.callback(t.value));
}

describe('weights-remaining ticks share one format per axis', () => {
  it('whole percents stay whole: 100, 50, 25 (not 100, 50.0, 25.0)', () => {
    expect(labels([100, 50, 25])).toEqual(['100', '50', '25']);
  });

  it("the paper's rounds keep one decimal on every tick", () => {
    expect(labels([100, 80, 64, 51.2, 41, 32.8, 26.2])).toEqual(expect.arrayContaining(['100', '80.0', '51.2', '26.2']));
  });

  it('below 1% two significant digits; a whole-percent axis has no stray decimal', () => {
    const f = percentTickFormat([100, 10, 1, 0.5]);
    expect([100, 10, 1, 0.5].map(f)).toEqual(['100', '10', '1', '0.50']);
  });
});
