import { describe, expect, it } from 'vitest';
import { formFromPreset, specFromForm, validate } from '../../src/renderer/src/lib/wizard-form';
import { METHOD_INFO, ABLATION_INFO } from '../../src/renderer/src/lib/pruning-methods';
import { PRESETS } from '../../src/shared/presets';
import { parseSpec, PruningMethodSchema, AblationSchema } from '../../src/shared/spec';

describe('the wizard offers pruning methods, densities, ablations and supermasks', () => {
  const preset = PRESETS.find((p) => p.id === 'lenet300-mnist')!;

  it('builds an at-init spec the schema accepts, with rounds from the densities', () => {
    const f = formFromPreset(preset);
    expect(f.atInit.method).toBe('magnitude');
    f.atInit = { ...f.atInit, method: 'synflow', densitiesText: '0.5, 0.1 0.02', ablations: { shuffle: true, reinit: false, sign: true, invert: true }, supermasks: true };
    const { spec, localErrors } = specFromForm(f, preset);
    expect(localErrors).toEqual({});
    expect(validate(spec)).toEqual({});
    const parsed = parseSpec(spec);
    expect(parsed.pruning).toMatchObject({ method: 'synflow', densities: [0.5, 0.1, 0.02], rounds: 4, synflowIterations: 100 });
    expect(parsed).toMatchObject({ ablations: ['shuffle', 'sign', 'invert'], supermasks: true });
    // A new experiment's supermasks apply to the rewind point, written explicitly; θ0 is one choice away.
    expect(parsed.supermaskWeights).toBe('rewind');
    f.atInit.supermaskWeights = 'init';
    expect(parseSpec(specFromForm(f, preset).spec).supermaskWeights).toBe('init');
    f.atInit.supermasks = false;
    expect(specFromForm(f, preset).spec).not.toHaveProperty('supermaskWeights');
  });

  it('an IMP form carries no densities; bad densities are named on the field', () => {
    const imp = specFromForm(formFromPreset(preset), preset).spec;
    expect(imp.pruning.densities).toBeUndefined();
    const f = formFromPreset(preset);
    f.atInit.method = 'snip';
    f.atInit.densitiesText = '0.5, half';
    expect(specFromForm(f, preset).localErrors['pruning.densities']).toMatch(/"half" is not a number/);
    f.atInit.densitiesText = '0.5, 1.5';
    expect(validate(specFromForm(f, preset).spec)['pruning.densities.1']).toMatch(/must be in \(0, 1\]/);
  });

  it('explains every method and ablation in a sentence citing its paper', () => {
    for (const m of PruningMethodSchema.options) expect(METHOD_INFO[m].sentence).toMatch(/(Frankle|Lee|Wang|Tanaka)( et al\.| & Carbin) \(?(19|20)\d\d\)?/);
    for (const a of AblationSchema.options) expect(ABLATION_INFO[a].sentence.length).toBeGreaterThan(20);
    // Sign flipping is Zhou et al.'s; shuffle, reinit and score inversion are Frankle et al. 2021's.
    expect(ABLATION_INFO.sign.sentence).toMatch(/Zhou et al\. 2019/);
    for (const a of ['shuffle', 'reinit', 'invert'] as const) expect(ABLATION_INFO[a].sentence).toMatch(/Frankle et al\. 2021/);
  });
});
