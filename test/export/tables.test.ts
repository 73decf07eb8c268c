import { describe, expect, it } from 'vitest';
import { compressionRatio, latexTable, markdownTable, resultsRows, theoreticalSpeedup } from '../../src/shared/figures';
import { LENET_LAYERS, lenetExperiment } from './fixture';

const exp = lenetExperiment();
const groups = new Set(exp.runs.map((r) => `${r.round}/${r.variant}`));

describe('results table', () => {
  it('has one row per round and variant with mean ± std over trials', () => {
    const rows = resultsRows([exp]);
    expect(rows).toHaveLength(groups.size);
    expect(rows.map((r) => `${r.round}/${r.variant}`).slice(0, 4)).toEqual(['0/ticket', '1/ticket', '1/reinit', '1/random']);
    expect(rows.every((r) => r.trials === 3)).toBe(true);
    expect(rows.filter((r) => r.winning)).toHaveLength(exp.winningTicket ? 1 : 0);
  });

  it('computes compression from parameters and speed-up from per-layer MACs', () => {
    const run = exp.runs.find((r) => r.round === 4)!;
    expect(compressionRatio(run, LENET_LAYERS)).toBeCloseTo(1 / run.weightsRemaining, 9);
    const dense = 235_200 + 30_000 + 1_000;
    const kept = (235_200 + 30_000) * 0.8 ** 4 + 1_000 * 0.9 ** 4;
    expect(theoreticalSpeedup(run, LENET_LAYERS)).toBeCloseTo(dense / kept, 9);
    // Conv layers do many MACs per weight, so speed-up and compression part ways there.
    const conv = [
      { ...LENET_LAYERS[0]!, macsPerExample: 1000 * 235_200 },
      LENET_LAYERS[1]!,
      LENET_LAYERS[2]!,
    ];
    const skewed = { ...run, layerDensity: [0.1, 1, 1] };
    expect(theoreticalSpeedup(skewed, conv)).toBeGreaterThan(compressionRatio(skewed, conv));
  });

  it('writes a balanced booktabs tabular, winning ticket in bold', () => {
    const tex = latexTable([exp]);
    const lines = tex.split('\n');
    const at = (s: string) => lines.findIndex((l) => l.trim() === s);
    expect(tex.match(/\\begin\{tabular\}/g)).toHaveLength(1);
    expect(tex.match(/\\end\{tabular\}/g)).toHaveLength(1);
    expect(tex.match(/\\begin\{table\}/g)).toHaveLength(1);
    expect(tex.match(/\\end\{table\}/g)).toHaveLength(1);
    expect(at('\\toprule')).toBeGreaterThan(at(lines.find((l) => l.startsWith('\\begin{tabular}'))!.trim()));
    expect(at('\\toprule')).toBeLessThan(at('\\midrule'));
    expect(at('\\midrule')).toBeLessThan(at('\\bottomrule'));
    expect(at('\\bottomrule')).toBeLessThan(at('\\end{tabular}'));
    const body = lines.slice(at('\\midrule') + 1, at('\\bottomrule')).filter((l) => l.endsWith('\\\\'));
    expect(body).toHaveLength(groups.size);
    const columns = (lines.find((l) => l.startsWith('\\begin{tabular}'))!.match(/\{([lrc]+)\}/)![1]!).length;
    for (const row of [lines[at('\\toprule') + 1]!, ...body]) expect(row.split(' & ')).toHaveLength(columns);
    expect(body.every((l) => /\d \$\\pm\$ \d/.test(l))).toBe(true);
    let depth = 0;
    for (const ch of tex.replace(/\\[{}]/g, '')) {
      if (ch === '{') depth++;
      if (ch === '}') depth--;
      expect(depth).toBeGreaterThanOrEqual(0);
    }
    expect(depth).toBe(0);
    const bold = body.filter((l) => l.includes('\\textbf{'));
    expect(bold).toHaveLength(1);
    expect(bold[0]).toContain(`\\textbf{${exp.winningTicket!.round}}`);
    expect(tex).toContain('Weights remaining (\\%)');
  });

  it('escapes experiment names and adds an experiment column when comparing', () => {
    const other = lenetExperiment({ id: 'b', name: 'Conv_2 & friends 50%', seed: 5 });
    const tex = latexTable([exp, other]);
    expect(tex).toContain('Conv\\_2 \\& friends 50\\%');
    expect(tex).toMatch(/\\begin\{tabular\}\{lrlrrrrr\}/);
  });

  it('writes the same table as Markdown', () => {
    const md = markdownTable([exp]);
    const rows = md.split('\n').filter((l) => l.startsWith('|'));
    expect(rows).toHaveLength(groups.size + 2);
    expect(rows[1]).toMatch(/^\| ---: \| :--- \|/);
    expect(rows.filter((r) => r.includes('**'))).toHaveLength(1);
    expect(rows.find((r) => r.includes('**'))).toContain('★');
    expect(rows.slice(2).every((r) => / ± /.test(r))).toBe(true);
  });
});
