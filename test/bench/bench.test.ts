import { describe, expect, it } from 'vitest';
import { renderTrainingRows } from '../../src/main/bench/report';
import { benchData, benchSpec, labParameterCounts, maskedJob, parseBenchNets } from '../../src/main/bench/networks';
import { describeChunks, rateOf } from '../../src/main/bench/throughput';
import { evaluateTargets } from '../../src/main/bench/targets';
import { checkPeerNetwork, startTorchPeer, torchAvailable } from '../../src/main/bench/torch-peer';
import type { BackendSection } from '../../src/main/bench/training';
import type { BenchReport } from '../../src/main/bench/types';
import { json, lth, freshHome } from '../cli/lth';

// No timing assertions here: the benchmark is its own command (`npm run bench`). These check its arithmetic
// and, when asked for (LTH_BENCH_TEST=1: it takes one to two minutes on a loaded 2-core machine), its output.

describe('bench arithmetic', () => {
  it('rates come from the best and the median chunk', () => {
    const r = rateOf([10, 20, 40]);
    expect(r.stepsPerSec).toBe(100);
    expect(r.examplesPerSec).toBe(6000);
    expect(r.medianStepsPerSec).toBe(50);
  });

  it("a deep network's rate counts its own batch and the steps each chunk timed", () => {
    const r = rateOf([8000, 9000], 128, [3, 2]);
    expect(r.examplesPerSec).toBe(16);
    // Under 1 step/s: three significant digits, not 0.13 / 0.12.
    expect(r.stepsPerSec).toBe(0.125);
    expect(r.medianStepsPerSec).toBe(0.118);
    expect(describeChunks(r)).toBe('3 + 2');
    expect(describeChunks(rateOf([1, 2, 3], 60, [4, 4, 4]))).toBe('3 x 4');
    expect(describeChunks({ chunksMs: [1, 2] })).toBe('2');
  });

  it('the training table shows the batch and the steps timed', () => {
    const lthRate = rateOf([8000], 128, [1]);
    const section = { backend: 'wasm', detail: '', threads: 1, matmul: [], rows: [{ network: 'resnet20', batch: 128, lth: lthRate, torch: { ...rateOf([1000], 128, [1]), threads: 1, prunedExactlyZero: true }, ratio: 0.13, ratioMedian: 0.13 }] } as BackendSection;
    const [, , line] = renderTrainingRows([section]).join('\n').split('\n');
    expect(line).toBe('| wasm | ResNet-20 | 128 | 0.125 | 16 | 8000 | 0.125 | 1 | 1 | 1 | 0.13x | 0.13x | 1 x 1 |');
  });

  it('targets say met or missed, and by how much', () => {
    const report = {
      quick: false,
      machine: { cores: 2 },
      training: [{ backend: 'wasm', rows: [{ network: 'lenet300', ratio: 1.5, ratioMedian: 1.4, fractionOf1024: 0.6, fractionOfLayer1: 0.7 }] }],
      parallel: { speedup: 1.9 },
      serve: { p99Ms: 25 },
      tickets: { saveMs: 10, loadMs: 5 },
      endToEnd: { command: 'lth run ...', wallSeconds: 30 },
    } as unknown as Omit<BenchReport, 'targets'>;
    const t = Object.fromEntries(evaluateTargets(report).map((x) => [x.id, x]));
    expect(t['lenet-vs-pytorch']).toMatchObject({ met: false });
    expect(t['lenet-vs-pytorch']!.margin).toContain('25% short');
    expect(t['matmul-ceiling']!.met).toBe(true);
    expect(t['parallel']!.met).toBe(true);
    expect(t['event-loop-p99']).toMatchObject({ met: false });
    expect(t['event-loop-p99']!.margin).toContain('missed by 5.0 ms');
    expect(t['ticket-save']!.met).toBe(true);
    expect(t['end-to-end']!.met).toBe(true);
  });
});

describe('bench networks', () => {
  it('ResNet-20 has 270,896 conv+fc weights, VGG-19 20.0M; a list of networks is checked', () => {
    expect(labParameterCounts('resnet20').weights).toBe(270_896);
    expect(labParameterCounts('resnet20').layerWeights).toHaveLength(22);
    expect(labParameterCounts('vgg19').weights).toBe(20_024_000);
    expect(parseBenchNets('resnet20, vgg19')).toEqual(['resnet20', 'vgg19']);
    expect(() => parseBenchNets('resnet56')).toThrow(/unknown network 'resnet56'/);
  });

  it('ResNet-20 trains as its preset: SGD momentum 0.9, weight decay 1e-4, batch 128, augmentation, masked as in round 1 (conv 20% globally, output 0%)', () => {
    const spec = benchSpec('resnet20', { iterations: 3 });
    expect(spec.training).toMatchObject({ optimizer: 'sgd', momentum: 0.9, weightDecay: 1e-4, batchSize: 128, augment: true, iterations: 3 });
    const job = maskedJob(spec, benchData('resnet20'));
    const kept = (m: Uint8Array) => m.reduce((a, b) => a + b, 0);
    const conv = job.mask.slice(0, -1);
    const convWeights = conv.reduce((a, m) => a + m.length, 0);
    expect(conv.reduce((a, m) => a + kept(m), 0)).toBe(Math.round(convWeights * 0.8));
    expect(kept(job.mask.at(-1)!)).toBe(640);
    expect(job.init.norms).toHaveLength(22);
  });

  it('a peer network with other parameter counts stops the benchmark', () => {
    const lab = labParameterCounts('resnet20');
    expect(() => checkPeerNetwork('resnet20', { layerWeights: lab.layerWeights, trainable: lab.trainable })).not.toThrow();
    expect(() => checkPeerNetwork('resnet20', { layerWeights: [...lab.layerWeights.slice(0, -1), 650], trainable: lab.trainable + 10 })).toThrow(
      /PyTorch peer's ResNet-20 is not the lab's network: 270,906 conv\+fc weights, the lab's 270,896/,
    );
  });

  // Where PyTorch is installed (python3-torch): building the two networks takes a few seconds, no training.
  it.skipIf(!torchAvailable().version)('the PyTorch peer builds ResNet-20 and VGG-19 with the lab\'s parameters', { timeout: 60_000 }, async () => {
    const peer = await startTorchPeer();
    try {
      for (const net of ['resnet20', 'vgg19'] as const) checkPeerNetwork(net, await peer.parameters(net));
      expect((await peer.parameters('resnet20')).layerWeights.reduce((a, b) => a + b, 0)).toBe(270_896);
    } finally {
      peer.close();
    }
  });

  // The device check's commands (scripts/device-check): R LeNet-300-100 runs batched with torch.bmm are each the
  // lab's network (checked inside packed()), pruned weights stay 0, and the fp32 matMul ceiling answers.
  it.skipIf(!torchAvailable().version)("the PyTorch peer's packed runs and matMul ceiling", { timeout: 60_000 }, async () => {
    const peer = await startTorchPeer();
    try {
      for (const mode of ['sequential', 'batched'] as const) {
        const r = await peer.packed(3, 1, 2, 'cpu', mode, false);
        expect(r.runStepsPerSec).toBeGreaterThan(0);
        expect(r.prunedExactlyZero).toBe(true);
      }
      expect((await peer.matmul(64, 2, 1, 'cpu', false)).gflops).toBeGreaterThan(0);
      expect((await peer.chunk('lenet300', 1, 1, 1, 'cpu', false)).prunedExactlyZero).toBe(true);
    } finally {
      peer.close();
    }
  });
});

describe.skipIf(!process.env.LTH_BENCH_TEST)('lth bench --quick --json', () => {
  it('reports every measurement with positive numbers', () => {
    const r = json<BenchReport>(lth(['bench', '--quick', '--json'], freshHome()));
    expect(Object.keys(r)).toEqual(expect.arrayContaining(['machine', 'training', 'impRound', 'tickets', 'serve', 'parallel', 'memory', 'endToEnd', 'targets']));
    const wasm = r.training.find((s) => s.backend === 'wasm')!;
    for (const row of wasm.rows) expect(row.lth.stepsPerSec).toBeGreaterThan(0);
    // The deep network's row: one ResNet-20 step at batch 128 (and PyTorch's, checked to be the same network).
    const resnet = wasm.rows.find((x) => x.network === 'resnet20')!;
    expect(resnet).toMatchObject({ batch: 128, lth: { chunkSteps: [1] } });
    if (r.torch.available) expect(resnet.torch!.stepsPerSec).toBeGreaterThan(0);
    expect(wasm.matmul.every((m) => m.gflops > 0)).toBe(true);
    expect(r.impRound.roundMs).toBeGreaterThan(0);
    expect(r.tickets.saveMs).toBeGreaterThan(0);
    expect(r.tickets.loadMs).toBeGreaterThan(0);
    expect(r.serve.p99Ms).toBeGreaterThanOrEqual(0);
    expect(r.parallel.speedup).toBeGreaterThan(0);
    expect(r.memory.map((m) => m.peakRssMB).every((x) => x > 0)).toBe(true);
    expect(r.endToEnd.wallSeconds).toBeGreaterThan(0);
    expect(r.targets.length).toBeGreaterThanOrEqual(6);
  });
});
