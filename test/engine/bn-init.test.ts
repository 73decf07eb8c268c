import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { controlJob } from '../../src/main/engine/ablations';
import { planNetwork } from '../../src/main/engine/network';
import { trialSeed } from '../../src/main/engine/random';
import { denseMask, initialWeights } from '../../src/main/engine/weights';
import { specHash } from '../../src/main/store/ids';
import { findPreset } from '../../src/shared/presets';
import { parseSpec } from '../../src/shared/spec';

/** Batch norm's initial γ: 1 (PyTorch's, the default) or uniform in [0, 1) (open_lth's), from the trial's seed. */
const resnet = findPreset('resnet20-cifar10')!;
const plan = planNetwork(parseSpec(resnet.spec).network, [32, 32, 3], 10);
const gammas = (norms: Float32Array[] | undefined) => norms!.map((n) => n.subarray(0, n.length / 3));
/** Byte-equal weight sets (toEqual walks 271K floats one by one). */
const bytes = (w: { kernels: Float32Array[]; biases: Float32Array[]; norms?: Float32Array[] }) =>
  Buffer.concat([...w.kernels, ...w.biases, ...(w.norms ?? [])].map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)));

describe('batch-norm γ at initialisation', () => {
  it("'uniform' draws γ in [0, 1) per channel, the same for the same seed, other for another; the kernels and statistics do not change", () => {
    const a = initialWeights(plan.layers, 7, { init: 'kaiming', bnInit: 'uniform' });
    const again = initialWeights(plan.layers, 7, { init: 'kaiming', bnInit: 'uniform' });
    const other = initialWeights(plan.layers, 8, { init: 'kaiming', bnInit: 'uniform' });
    const ones = initialWeights(plan.layers, 7, 'kaiming');
    const all = gammas(a.norms).flatMap((g) => [...g]);
    expect(all).toHaveLength(plan.layers.filter((l) => l.batchNorm).reduce((s, l) => s + l.shape[3]!, 0));
    expect(Math.min(...all)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...all)).toBeLessThan(1);
    // Uniform, not a constant: the mean of 1,376 draws is near 1/2.
    expect(Math.abs(all.reduce((s, x) => s + x, 0) / all.length - 0.5)).toBeLessThan(0.05);
    expect(a.norms).toEqual(again.norms);
    expect(gammas(a.norms)[0]).not.toEqual(gammas(other.norms)[0]);
    expect(bytes({ kernels: a.kernels, biases: a.biases }).equals(bytes({ kernels: ones.kernels, biases: ones.biases }))).toBe(true);
    a.norms!.forEach((n, i) => {
      const c = n.length / 3;
      expect([...n.subarray(c)]).toEqual([...ones.norms![i]!.subarray(c)]);
    });
  });

  it("'ones' and no choice give γ = 1, exactly the weights the engine drew before the choice existed", () => {
    const digest = (w: Parameters<typeof bytes>[0]) => createHash('sha256').update(bytes(w)).digest('hex');
    // ResNet-20, seed 7, Kaiming: the digest of θ0 as the previous commit's initialWeights drew it.
    const before = '8f0579d0d7e3e45de94c3d35c1ecb54d5497e0b5d8bf6814f71d0cc050bd5648';
    expect(digest(initialWeights(plan.layers, 7, 'kaiming'))).toBe(before);
    expect(digest(initialWeights(plan.layers, 7, { init: 'kaiming' }))).toBe(before);
    expect(digest(initialWeights(plan.layers, 7, { init: 'kaiming', bnInit: 'ones' }))).toBe(before);
    for (const g of gammas(initialWeights(plan.layers, 7, {}).norms)) expect([...g].every((x) => x === 1)).toBe(true);
  });

  it("θ0 of a trial is the spec's draw; the reinit control draws its own γ, also uniform", () => {
    const spec = parseSpec({ ...resnet.spec, network: { ...resnet.spec.network, bnInit: 'uniform' } });
    const seed = trialSeed(spec, 0);
    const theta0 = initialWeights(plan.layers, seed, spec.network);
    const reinit = controlJob(spec, plan.layers, seed, 'reinit', { trial: 0, round: 1, init: theta0, mask: denseMask(plan.layers), start: 0 }, 0).init;
    const g0 = gammas(theta0.norms)[0]!;
    const g1 = gammas(reinit.norms)[0]!;
    expect([...g1].every((x) => x >= 0 && x < 1)).toBe(true);
    expect(g1).not.toEqual(g0);
  });

  it('a stored spec without the field keeps its hash; the field is refused without batch norm', () => {
    // The ResNet-20 preset's hash before bnInit existed (computed with the previous commit's schema).
    expect(specHash(parseSpec(resnet.spec))).toBe('459a97ac5c5270763f5cae168be1992df85ae76857c46ab57baab28ea37af98f');
    expect(parseSpec(resnet.spec).network).not.toHaveProperty('bnInit');
    expect(specHash(parseSpec({ ...resnet.spec, network: { ...resnet.spec.network, bnInit: 'uniform' } }))).not.toBe(specHash(parseSpec(resnet.spec)));
    const lenet = findPreset('lenet300-mnist')!.spec;
    expect(() => parseSpec({ ...lenet, network: { ...lenet.network, bnInit: 'uniform' } })).toThrow(/network\.bnInit: the network has no batch norm/);
  });
});
