import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { specFromFlags } from '../../src/main/cli/spec-from-flags';
import { findPreset } from '../../src/shared/presets';
import { networkLabel, planNetwork } from '../../src/shared/network';
import { prunablePool } from '../../src/main/engine/pruning/common';
import { scaleSchedule } from '../../src/shared/schedule';
import { followIterations } from '../../src/renderer/src/lib/preset-schedule';
import { formFromPreset, specFromForm, validate } from '../../src/renderer/src/lib/wizard-form';

/** Spec flags with conventions of their own: a shortened preset's schedule, a ResNet's head, batch norm's γ. */
const resnet = findPreset('resnet20-cifar10')!;
const vgg = findPreset('vgg19-cifar10')!;

describe('scaleSchedule: a schedule stated in fractions of the training length', () => {
  it('scales by T/T0 with rounding, merges milestones that meet, drops one that reaches T, keeps at least 1', () => {
    // ResNet-20 to 4 iterations: 20000 and 25000 -> 2.67 and 3.33 -> one milestone at 3; warmup 20000 -> 3.
    expect(scaleSchedule({ warmupIterations: 20_000, milestones: [20_000, 25_000], gamma: 0.1 }, 30_000, 4)).toEqual({ warmupIterations: 3, milestones: [3], gamma: 0.1 });
    expect(scaleSchedule({ warmupIterations: 20_000, milestones: [20_000, 25_000], gamma: 0.1 }, 30_000, 300)).toEqual({ warmupIterations: 200, milestones: [200, 250], gamma: 0.1 });
    // Reaching T: 0.9·2 = 1.8 -> 2 = T is dropped, for a warmup as for a milestone (warmup 0 = none).
    expect(scaleSchedule({ warmupIterations: 90, milestones: [50, 90], gamma: 0.5 }, 100, 2)).toEqual({ warmupIterations: 0, milestones: [1], gamma: 0.5 });
    // At least 1: 10/112480 of 4 iterations rounds to 0, kept at 1.
    expect(scaleSchedule({ warmupIterations: 10, milestones: [10], gamma: 0.1 }, 112_480, 4)).toEqual({ warmupIterations: 1, milestones: [1], gamma: 0.1 });
    // The same length changes nothing; lengthening scales up.
    expect(scaleSchedule(vgg.spec.training.schedule!, vgg.spec.training.iterations, vgg.spec.training.iterations)).toEqual(vgg.spec.training.schedule);
    expect(scaleSchedule({ milestones: [100] }, 200, 400)).toEqual({ warmupIterations: 0, milestones: [200], gamma: 0.1 });
  });
});

describe('lth run --preset with --iterations', () => {
  it('a deep preset shortened to 4 iterations gets its schedule scaled, and says so once', () => {
    const notes: string[] = [];
    const spec = specFromFlags({ preset: 'resnet20-cifar10', iterations: 4 }, (l) => notes.push(l));
    expect(spec.training.schedule).toEqual({ warmupIterations: 3, milestones: [3], gamma: 0.1 });
    expect(notes).toEqual(['resnet20-cifar10 at 4 of its 30000 iterations: warmup 20000 -> 3, lr milestones 20000,25000 -> 3 (scaled with the training length; --warmup and --lr-milestones set them)']);
    const v = specFromFlags({ preset: 'vgg19-cifar10', iterations: 1000 });
    expect(v.training.schedule).toEqual({ warmupIterations: 89, milestones: [500, 750], gamma: 0.1 });
  });

  it('a value given on the command line is kept, the other one still scales', () => {
    const notes: string[] = [];
    const spec = specFromFlags({ preset: 'resnet20-cifar10', iterations: 300, warmup: 10 }, (l) => notes.push(l));
    expect(spec.training.schedule).toEqual({ warmupIterations: 10, milestones: [200, 250], gamma: 0.1 });
    expect(notes[0]).toMatch(/lr milestones 20000,25000 -> 200,250/);
    expect(notes[0]).not.toMatch(/warmup 20000/);
    expect(specFromFlags({ preset: 'resnet20-cifar10', iterations: 4, lrMilestones: ['none'], warmup: 0 }).training.schedule).toEqual({ warmupIterations: 0, milestones: [], gamma: 0.1 });
  });

  it('no iterations, a preset without a schedule, or a spec file: nothing is scaled and nothing is said', () => {
    const notes: string[] = [];
    expect(specFromFlags({ preset: 'resnet20-cifar10' }, (l) => notes.push(l)).training.schedule).toEqual(resnet.spec.training.schedule);
    expect(specFromFlags({ preset: 'lenet300-mnist', iterations: 100 }, (l) => notes.push(l)).training.schedule).toEqual({ warmupIterations: 0, milestones: [], gamma: 0.1 });
    expect(notes).toEqual([]);
  });

  it('an explicit milestone or warmup past T is an error that names the flag and how to clear it', () => {
    expect(() => specFromFlags({ preset: 'resnet20-cifar10', iterations: 4, lrMilestones: ['20000'] })).toThrow(
      /--lr-milestones: 20000 is not below training\.iterations \(4\): it would never apply \(give milestones below it, or --lr-milestones none for no decay\)/,
    );
    expect(() => specFromFlags({ preset: 'resnet20-cifar10', iterations: 4, warmup: 4 })).toThrow(/--warmup: must be below training\.iterations \(4\) \(give a shorter one, or --warmup 0 for none\)/);
  });
});

describe("a residual network's head", () => {
  it('--residual without a preset is the global pool and the output layer, not LeNet\'s fc 300-100', () => {
    const spec = specFromFlags({ residual: { widths: [16, 32, 64], blocks: 3 } });
    expect(spec.network.dense).toEqual([]);
    expect(spec.network.conv).toEqual([]);
    expect(specFromFlags({ residual: { widths: [16], blocks: 1 }, dense: [64] }).network.dense).toEqual([64]);
    // A plain conv network keeps the hidden layers it replaces nothing of (Conv-2 style).
    expect(specFromFlags({ conv: [8, 'pool'] }).network.dense).toEqual([300, 100]);
  });
});

describe('--bn-init', () => {
  it("'uniform' reaches the spec; 'ones' and no flag leave the field absent", () => {
    expect(specFromFlags({ preset: 'resnet20-cifar10', bnInit: 'uniform' }).network.bnInit).toBe('uniform');
    expect(specFromFlags({ preset: 'resnet20-cifar10', bnInit: 'ones' }).network).not.toHaveProperty('bnInit');
    expect(specFromFlags({ preset: 'resnet20-cifar10' }).network).not.toHaveProperty('bnInit');
    expect(() => specFromFlags({ bnInit: 'uniform' })).toThrow(/--bn-init: the network has no batch norm/);
    // --no-batch-norm on a spec with uniform γ takes γ's init with it; asked for together, they contradict.
    const file = join(mkdtempSync(join(tmpdir(), 'lth-spec-')), 'spec.json');
    writeFileSync(file, JSON.stringify({ ...resnet.spec, network: { ...resnet.spec.network, bnInit: 'uniform' } }));
    expect(specFromFlags({ spec: file }).network.bnInit).toBe('uniform');
    expect(specFromFlags({ spec: file, batchNorm: false }).network).not.toHaveProperty('bnInit');
    expect(() => specFromFlags({ preset: 'resnet20-cifar10', batchNorm: false, bnInit: 'uniform' })).toThrow(/--bn-init: the network has no batch norm/);
  });
});

describe('the wizard', () => {
  it("a preset's untouched schedule follows the iterations field; a typed one stays", () => {
    const f = formFromPreset(resnet);
    expect(followIterations(f.analysis, resnet, 30_000, 4)).toBe(true);
    f.training.iterations = 4;
    expect(f.analysis).toMatchObject({ warmupIterations: 3, milestonesText: '3' });
    expect(validate(specFromForm(f, resnet).spec)).toEqual({});
    // Typed on from 4 to 300: scaled from the preset again, so the merged milestones come apart.
    followIterations(f.analysis, resnet, 4, 300);
    expect(f.analysis).toMatchObject({ warmupIterations: 200, milestonesText: '200, 250' });
    f.analysis.warmupIterations = 50;
    followIterations(f.analysis, resnet, 300, 30_000);
    expect(f.analysis).toMatchObject({ warmupIterations: 50, milestonesText: '20000, 25000' });
  });

  it('offers γ uniform only with batch norm, absent when ones', () => {
    const f = formFromPreset(resnet);
    expect(f.network.bnInit).toBe('ones');
    expect(specFromForm(f, resnet).spec.network).not.toHaveProperty('bnInit');
    f.network.bnInit = 'uniform';
    expect(specFromForm(f, resnet).spec.network.bnInit).toBe('uniform');
    f.network.batchNorm = false;
    expect(specFromForm(f, resnet).spec.network).not.toHaveProperty('bnInit');
  });
});

describe("γ's init in names and legends", () => {
  it('a network with uniform γ says so; one without keeps its label', () => {
    const r = specFromFlags({ preset: 'resnet20-cifar10', bnInit: 'uniform' }).network;
    expect(networkLabel(r)).toBe('ResNet-20 · γ U[0,1)');
    expect(networkLabel(specFromFlags({ preset: 'resnet20-cifar10' }).network)).toBe('ResNet-20');
    expect(networkLabel(specFromFlags({ residual: { widths: [4, 8], blocks: 1 }, batchNorm: true, bnInit: 'uniform' }).network)).toBe('ResNet-8 4-8 · BN · γ U[0,1)');
  });
});

describe('pruning at init and the output layer', () => {
  it('a deep preset leaves the output layer out of an at-init method\'s pool; --rate-output above 0 puts it in, as SynFlow\'s paper prunes every layer', () => {
    const poolKinds = (rateOutput?: number) => {
      const spec = specFromFlags({ preset: 'resnet20-cifar10', method: 'synflow', densities: ['0.5'], ...(rateOutput === undefined ? {} : { rateOutput }) });
      const plan = planNetwork(spec.network, [32, 32, 3], 10);
      return new Set(prunablePool(plan.layers, spec).map((i) => plan.layers[i]!.kind));
    };
    expect(poolKinds()).toEqual(new Set(['conv']));
    expect(poolKinds(0.2)).toEqual(new Set(['conv', 'output']));
  });
});
