import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeCifarBatch } from '../../src/main/engine/data/cifar10';
import { mulberry32 } from '../../src/main/engine/data/rng';
import { CIFAR_FILES } from '../data/fixtures';
import { planNetwork } from '../../src/main/engine/network';
import { trialSeed } from '../../src/main/engine/random';
import { initialWeights } from '../../src/main/engine/weights';
import { openStore } from '../../src/main/store';
import { freshHome, json, lth } from './lth';

/**
 * CIFAR-10 is not in the package registries: a small CIFAR-format folder (the official binary layout) whose
 * class is the colour of a bright blob, so a network learns it in a few dozen steps even under crops and flips.
 */
function writeColourCifar(dir: string, perBatch: number): void {
  const r = mulberry32(3);
  CIFAR_FILES.forEach((file) => {
    const images = new Uint8Array(perBatch * 32 * 32 * 3);
    const labels = new Uint8Array(perBatch);
    for (let i = 0; i < perBatch; i++) {
      const label = r.int(3);
      labels[i] = label;
      const cy = 6 + r.int(20);
      const cx = 6 + r.int(20);
      for (let y = 0; y < 32; y++)
        for (let x = 0; x < 32; x++)
          for (let c = 0; c < 3; c++) {
            const near = Math.abs(y - cy) <= 5 && Math.abs(x - cx) <= 5;
            images[((i * 32 + y) * 32 + x) * 3 + c] = Math.min(255, (near && c === label ? 200 : 40) + r.int(50));
          }
    }
    writeFileSync(join(dir, file), encodeCifarBatch(images, labels));
  });
}

const short = ['--trials', '1', '--rounds', '2', '--iterations', '60', '--batch-size', '16', '--validation-size', '60', '--eval-interval', '20', '--backend', 'wasm'];

describe('deep networks through the CLI', () => {
  it('lists the ResNet-20 and VGG-19 presets with the paper\'s hyperparameters', () => {
    const presets = json(lth(['presets', '--json'], freshHome()));
    const resnet = presets.find((p: any) => p.id === 'resnet20-cifar10');
    const vgg = presets.find((p: any) => p.id === 'vgg19-cifar10');
    expect(resnet.spec.training).toMatchObject({ optimizer: 'sgd', learningRate: 0.1, batchSize: 128, iterations: 30000, weightDecay: 1e-4, augment: true });
    expect(resnet.spec.training.schedule).toEqual({ warmupIterations: 20000, milestones: [20000, 25000], gamma: 0.1 });
    expect(vgg.spec.training).toMatchObject({ batchSize: 64, iterations: 112480 });
    expect(vgg.spec.training.schedule).toEqual({ warmupIterations: 10000, milestones: [56240, 84360], gamma: 0.1 });
    expect(vgg.spec.network).toMatchObject({ batchNorm: true, pooling: 'average', dense: [] });
  });

  it('a residual network with batch norm, warmup, step decay, augmentation and late rewinding runs end to end; --rewind 0,10 makes one experiment per point', () => {
    const home = freshHome();
    const dir = mkdtempSync(join(tmpdir(), 'lth-cifar-'));
    writeColourCifar(dir, 60);
    const dataset = json(lth(['datasets', 'import', 'cifar10', dir, '--json'], home));
    const out = json(
      lth(['run', '--preset', 'resnet20-cifar10', '--dataset', dataset.id, '--residual', '4,8x1', ...short, '--warmup', '20', '--lr-milestones', '40', '--rewind', '0,10', '--controls', 'reinit', '--json'], home),
    );
    expect(out.sweep.map((s: any) => s.rewind)).toEqual([0, 10]);
    for (const s of out.sweep) {
      const shown = json(lth(['experiments', 'show', s.experimentId, '--json'], home));
      expect(shown.spec.network).toMatchObject({ residual: { widths: [4, 8], blocks: 1 }, batchNorm: true, conv: [] });
      expect(shown.spec.network.preset).toBeUndefined();
      expect(shown.spec.training).toMatchObject({ augment: true, schedule: { warmupIterations: 20, milestones: [40] } });
      expect(shown.layers.filter((l: any) => l.batchNorm).length).toBe(shown.layers.length - 1);
      const dense = s.results.find((r: any) => r.variant === 'ticket' && r.round === 0);
      // Chance is 1/3; measured 1.0 on the 60 test images for seeds 0-4 (dense, --rounds 1): 0.95 allows 3 misses.
      expect(dense.finalTestAccuracy).toBeGreaterThanOrEqual(0.95);
      const ticket = shown.runs.find((r: any) => r.variant === 'ticket' && r.round === 1);
      const reinit = shown.runs.find((r: any) => r.variant === 'reinit' && r.round === 1);
      expect(ticket.curve[0].iteration).toBe(s.rewind);
      expect(ticket.iterations).toBe(60 - s.rewind);
      expect(reinit.iterations).toBe(60 - s.rewind);
      // Global pruning of conv kernels only: the output layer keeps every weight.
      expect(ticket.layerDensity.at(-1)).toBe(1);
      expect(ticket.layerDensity[0]).toBeLessThan(1);
    }
  });

  it('the ResNet-20 preset shortened to 4 iterations runs: its warmup and milestones scale with T (said on stderr), θ0 holds the seeded uniform γ of --bn-init uniform', () => {
    const home = freshHome();
    const dir = mkdtempSync(join(tmpdir(), 'lth-cifar-'));
    writeColourCifar(dir, 20);
    const dataset = json(lth(['datasets', 'import', 'cifar10', dir, '--json'], home));
    const args = ['run', '--preset', 'resnet20-cifar10', '--dataset', dataset.id, '--iterations', '4', '--trials', '1', '--rounds', '1', '--batch-size', '8', '--validation-size', '20', '--controls', 'none', '--backend', 'wasm'];
    const r = lth([...args, '--bn-init', 'uniform', '--json'], home);
    expect(r.stderr).toContain('resnet20-cifar10 at 4 of its 30000 iterations: warmup 20000 -> 3, lr milestones 20000,25000 -> 3');
    const out = json(r);
    expect(out.status).toBe('completed');
    const shown = json(lth(['experiments', 'show', out.experimentId, '--json'], home));
    expect(shown.spec.training).toMatchObject({ iterations: 4, schedule: { warmupIterations: 3, milestones: [3] } });
    expect(shown.spec.network).toMatchObject({ preset: 'resnet20', bnInit: 'uniform' });
    const store = openStore({ dataDir: home, dbPath: join(home, 'lth.sqlite') });
    try {
      const theta0 = store.resumeState(out.experimentId).rewindWeights.get(0)!;
      const plan = planNetwork(shown.spec.network, [32, 32, 3], 10);
      const expected = initialWeights(plan.layers, trialSeed(shown.spec, 0), shown.spec.network);
      theta0.norms!.forEach((n, i) => {
        const gamma = [...n.subarray(0, n.length / 3)];
        if (!plan.layers[i]!.batchNorm) return expect(gamma).toEqual([]);
        expect(gamma.every((g) => g >= 0 && g < 1)).toBe(true);
        expect(gamma).toEqual([...expected.norms![i]!.subarray(0, n.length / 3)]);
      });
    } finally {
      store.close();
    }

    const past = lth([...args, '--lr-milestones', '20000'], home);
    expect(past.status).not.toBe(0);
    expect(past.stderr).toMatch(/--lr-milestones: 20000 is not below training\.iterations \(4\).*--lr-milestones none/);
    expect(json(lth(['experiments', 'list', '--json'], home))).toHaveLength(1);
  });

  it('refuses malformed residual shapes and odd stride-2 maps with the flag named, storing nothing', () => {
    const home = freshHome();
    for (const [args, pattern] of [
      [['--residual', '16,32x'], /--residual.*not WIDTHSxBLOCKS, e.g. 16,32,64x3/],
      [['--residual', '16,0x3'], /--residual.*'0' is not a stage width/],
      [['--residual', '4,8,16,32x1', '--iterations', '10', '--trials', '1', '--rounds', '1'], /stride-2 stage needs an even feature map, got 7x7/],
    ] as const) {
      const r = lth(['run', ...args], home);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(pattern);
    }
    expect(json(lth(['experiments', 'list', '--json'], home))).toEqual([]);
  });

  it('an instability analysis of a batch-norm network re-estimates the statistics along the path with --bn-stats reestimate; LeNet refuses it', () => {
    const home = freshHome();
    const dir = mkdtempSync(join(tmpdir(), 'lth-cifar-'));
    writeColourCifar(dir, 40);
    const dataset = json(lth(['datasets', 'import', 'cifar10', dir, '--json'], home));
    const preset = json(lth(['presets', '--json'], home)).find((p: any) => p.id === 'resnet20-cifar10');
    const specFile = join(dir, 'resnet-small.json');
    writeFileSync(specFile, JSON.stringify({ ...preset.spec, dataset: dataset.id, network: { ...preset.spec.network, preset: undefined, residual: { widths: [4, 8], blocks: 1 } }, training: { ...preset.spec.training, schedule: { warmupIterations: 5, milestones: [], gamma: 0.1 } } }));
    const args = ['analyze', 'stability', '--spec', specFile, '--iterations', '20', '--batch-size', '16', '--validation-size', '40', '--eval-interval', '20', '--trials', '1', '--alphas', '2', '--backend', 'wasm'];
    const out = json(lth([...args, '--bn-stats', 'reestimate', '--json'], home));
    expect(out.status).toBe('completed');
    expect(out.stability.points[0].testError).toHaveLength(3);
    const shown = lth(['experiments', 'show', out.experimentId], home).stdout;
    expect(shown).toMatch(/Batch-norm statistics re-estimated for each network on the path from 4,096 training examples/);
    expect(json(lth(['experiments', 'show', out.experimentId, '--json'], home)).spec.stability.batchNormStats).toBe('reestimate');

    const refused = lth(['analyze', 'stability', '--preset', 'lenet300-mnist', '--bn-stats', 'reestimate', '--iterations', '10'], home);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/--bn-stats: the network has no batch norm/);
    expect(lth(['analyze', 'stability', '--spec', specFile, '--bn-stats', 'reset'], home).stderr).toMatch(/--bn-stats.*'reset'.*interpolate, reestimate/);
    expect(json(lth(['experiments', 'list', '--json'], home))).toHaveLength(1);
  });
});
