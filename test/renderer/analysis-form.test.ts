import { describe, expect, it } from 'vitest';
import { PRESETS } from '../../src/shared/presets';
import { parseSpec } from '../../src/shared/spec';
import { formFromPreset, specFromForm, validate } from '../../src/renderer/src/lib/wizard-form';

describe('the wizard\'s analysis fields (issue 12)', () => {
  const preset = PRESETS[0]!;

  it('a preset gives plain IMP with weight rewinding, no schedule, no early bird', () => {
    const { spec, localErrors } = specFromForm(formFromPreset(preset), preset);
    expect(localErrors).toEqual({});
    const s = parseSpec(spec);
    expect(s.pruning.retrain).toBe('rewind');
    expect(s.training.schedule).toEqual({ warmupIterations: 0, milestones: [], gamma: 0.1 });
    expect(s.earlyBird).toBeUndefined();
    expect(s.stability).toBeUndefined();
  });

  it('an instability analysis with its starting points; IMP fields for it are dropped (early bird)', () => {
    const f = formFromPreset(preset);
    f.analysis = { ...f.analysis, kind: 'stability', rewindPointsText: '0, 100, 500', earlyBird: 'prune' };
    const { spec, localErrors } = specFromForm(f, preset);
    expect(localErrors).toEqual({});
    const s = parseSpec(spec);
    expect(s.stability).toEqual({ rewindPoints: [0, 100, 500], interpolationPoints: 30, threshold: 0.02 });
    expect(s.earlyBird).toBeUndefined();
    // A pruning method, ablations or supermasks chosen before switching to the analysis are dropped with their fields.
    f.atInit = { ...f.atInit, method: 'snip', densitiesText: '0.2', ablations: { shuffle: true, reinit: false, sign: false, invert: false }, supermasks: true };
    const t = parseSpec(specFromForm(f, preset).spec);
    expect([t.pruning.method, t.ablations, t.supermasks]).toEqual(['magnitude', [], false]);
  });

  it('batch-norm statistics on the path: re-estimation reaches the spec of a batch-norm network, and is dropped for one without', () => {
    const resnet = PRESETS.find((p) => p.id === 'resnet20-cifar10')!;
    const f = formFromPreset(resnet);
    expect(f.analysis.bnStats).toBe('interpolate');
    f.analysis = { ...f.analysis, kind: 'stability', bnStats: 'reestimate' };
    expect(parseSpec({ ...specFromForm(f, resnet).spec, dataset: 'cifar10' }).stability?.batchNormStats).toBe('reestimate');
    // Batch norm switched off after choosing: the choice no longer applies, and the spec stays valid.
    f.network = { ...f.network, batchNorm: false };
    const { spec } = specFromForm(f, resnet);
    expect(spec.stability).not.toHaveProperty('batchNormStats');
    expect(validate(spec)).toEqual({});
  });

  it('retraining mode, schedule and early bird reach the spec; bad text and out-of-range values name their field', () => {
    const f = formFromPreset(preset);
    f.analysis = { ...f.analysis, retrain: 'lr-rewind', warmupIterations: 100, milestonesText: '20000, 40000', earlyBird: 'track', ebEpsilon: 0.05 };
    const s = parseSpec(specFromForm(f, preset).spec);
    expect(s.pruning.retrain).toBe('lr-rewind');
    expect(s.training.schedule.milestones).toEqual([20000, 40000]);
    // A new experiment names its rule: the reference rule unless the user picks the consecutive one.
    expect(s.earlyBird).toEqual({ epsilon: 0.05, patience: 5, prune: false, rule: 'reference' });
    f.analysis.ebRule = 'consecutive';
    expect(parseSpec(specFromForm(f, preset).spec).earlyBird!.rule).toBe('consecutive');
    f.analysis.ebRule = 'reference';

    f.analysis.milestonesText = '20000, soon';
    expect(specFromForm(f, preset).localErrors['training.schedule.milestones']).toMatch(/"soon" is not a whole number/);
    f.analysis.milestonesText = '';
    f.analysis.ebEpsilon = 1.5;
    expect(validate(specFromForm(f, preset).spec)['earlyBird.epsilon']).toMatch(/ε must be in \(0, 1\)/);
    f.analysis = { ...f.analysis, kind: 'stability', rewindPointsText: '0, 60000' };
    expect(validate(specFromForm(f, preset).spec)['stability.rewindPoints.1']).toMatch(/not below training.iterations/);
  });
});
