import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend, releaseBackend } from '../../src/main/engine/backend';
import { destroyDeviceForTest } from '../../src/main/engine/backends/webgpu';
import { inlineExecutor } from '../../src/main/engine/executor';
import { runImp } from '../../src/main/engine/imp';
import { createParams, disposeParams, forward } from '../../src/main/engine/model';
import { conv3x3, denseFeatureMajor } from '../../src/main/engine/ops';
import { planNetwork } from '../../src/main/engine/network';
import { gaussian, trialSeed } from '../../src/main/engine/random';
import { AbortedError, trainRun } from '../../src/main/engine/trainer';
import { checkpointKey, emptyResumeState, type Checkpoint, type ExperimentSink, type Mask, type WeightSet } from '../../src/main/engine/types';
import { denseMask, glorotInit } from '../../src/main/engine/weights';
import { createLabServices } from '../../src/main/services';
import type { RunResult } from '../../src/shared/results';
import { quadrantDataset, tinySpec } from './synthetic';
import { skipUnlessCi } from '../ci-required';

/**
 * The engine's own kernels, gradients and training loop on tfjs's WebGPU backend, against the cpu backend.
 * Here that is Dawn on a software adapter (Mesa llvmpipe through OpenGL ES, found by the lab itself with no
 * environment variables); WEBGPU_CPU_FORWARD=false keeps every kernel, small ones too, on the GPU path.
 * Skipped, with the reason printed, only where no WebGPU adapter can be created at all, and never under CI
 * (test/ci-required.ts).
 */
process.env.WEBGPU_CPU_FORWARD = 'false';
const unavailable = skipUnlessCi(
  'the WebGPU adapter',
  await initBackend('webgpu').then(
    (info) => {
      console.log(`webgpu tests on: ${info.detail}`);
      return null;
    },
    (err: Error) => err.message,
  ),
);

afterAll(() => releaseBackend());

/** Runs fn on a backend and returns its outputs as plain arrays. */
async function on(backend: 'cpu' | 'webgpu', fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  await initBackend(backend);
  expect(tf.getBackend()).toBe(backend);
  const outs = tf.tidy(() => fn().map((t) => tf.keep(t)));
  const values = await Promise.all(outs.map(async (t) => (await t.data()) as Float32Array));
  tf.dispose(outs);
  return values;
}

/** Largest |a - b| relative to the largest |b| (gradients span orders of magnitude across layers). */
function relDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return d / Math.max(m, 1e-12);
}

async function both(fn: () => tf.Tensor[], label: string): Promise<number[]> {
  const cpu = await on('cpu', fn);
  const gpu = await on('webgpu', fn);
  const diffs = gpu.map((g, i) => relDiff(g, cpu[i]!));
  console.log(`webgpu vs cpu, ${label}: max relative difference ${diffs.map((d) => d.toExponential(1)).join(', ')}`);
  return diffs;
}

function memorySink() {
  const s = { rewind: new Map<number, WeightSet>(), masks: new Map<string, Mask>(), runs: [] as RunResult[], checkpoints: new Map<string, Checkpoint>() };
  const sink: ExperimentSink = {
    saveRewindWeights: (t, w) => s.rewind.set(t, w),
    saveMask: (t, r, m) => s.masks.set(`${t}:${r}`, m),
    saveTrainedWeights: () => undefined,
    saveRun: (r) => {
      s.runs.push(r);
      s.checkpoints.delete(checkpointKey(r.trial, r.variant, r.round));
    },
    saveCheckpoint: (c) => s.checkpoints.set(checkpointKey(c.trial, c.variant, c.round), c),
  };
  return { ...s, sink };
}

const data = quadrantDataset();

describe.skipIf(unavailable !== null)('webgpu backend (vs cpu)', () => {
  it('a synchronous readback fails with what to do instead, not a missing OffscreenCanvas', async () => {
    await initBackend('webgpu');
    const t = tf.matMul(tf.ones([4, 4]), tf.ones([4, 4]));
    expect(() => t.dataSync()).toThrow(/synchronous readback .* not available on the webgpu backend in Node: read with await tensor\.data\(\) instead/);
    expect(Array.from(await t.data())).toEqual(new Array(16).fill(4));
    t.dispose();
  });

  it('conv3x3: value, input gradient and filter gradient (forward-conv formulations) match cpu', async () => {
    const diffs = await both(() => {
      const x = tf.tensor4d(gaussian(4 * 12 * 10 * 3, 1, 1), [4, 12, 10, 3]);
      const w = tf.tensor4d(gaussian(3 * 3 * 3 * 8, 0.5, 2), [3, 3, 3, 8]);
      const up = tf.tensor4d(gaussian(4 * 12 * 10 * 8, 1, 3), [4, 12, 10, 8]);
      const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv3x3(a as tf.Tensor4D, b as tf.Tensor4D), up)))([x, w]);
      return [conv3x3(x, w), dx!, dw!];
    }, 'conv3x3 value, dx, dW');
    for (const d of diffs) expect(d).toBeLessThan(1e-5);
  });

  it("denseFeatureMajor's hand-written gradients, and tfjs's own conv/maxPool gradients, match cpu", async () => {
    const diffs = await both(() => {
      const wT = tf.tensor2d(gaussian(30 * 50, 1, 4), [30, 50]);
      const aT = tf.tensor2d(gaussian(50 * 20, 1, 5), [50, 20]);
      const up = tf.tensor2d(gaussian(30 * 20, 1, 6), [30, 20]);
      const [dW, dA] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(denseFeatureMajor(a, b as tf.Tensor2D, true), up)))([wT, aT]);
      // Conv2DBackpropFilter/Input and MaxPoolGrad kernels of tfjs-backend-webgpu itself.
      const x = tf.tensor4d(gaussian(2 * 8 * 8 * 3, 1, 7), [2, 8, 8, 3]);
      const f = tf.tensor4d(gaussian(3 * 3 * 3 * 4, 0.5, 8), [3, 3, 3, 4]);
      const [gx, gf] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.maxPool(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'), 2, 2, 'valid'))))([x, f]);
      return [dW!, dA!, gx!, gf!];
    }, 'denseFeatureMajor dW, dA; conv2d+maxPool dx, dW');
    for (const d of diffs) expect(d).toBeLessThan(1e-5);
  });

  it('whole-network gradients of LeNet-300-100 and a conv net (the trainer\'s forward and loss) match cpu', async () => {
    for (const [network, shape] of [
      [{ conv: [], dense: [300, 100], dropout: 0 }, [28, 28, 1]],
      [{ conv: [8, 8, 'pool'], dense: [32], dropout: 0 }, [12, 12, 3]],
    ] as const) {
      const plan = planNetwork({ ...network, conv: [...network.conv], dense: [...network.dense] }, [...shape] as [number, number, number], 10);
      const init = glorotInit(plan.layers, 3);
      const size = shape[0] * shape[1] * shape[2];
      const diffs = await both(() => {
        const params = createParams(plan, init, denseMask(plan.layers));
        const x = tf.tensor2d(gaussian(16 * size, 1, 9), [16, size]);
        const y = tf.oneHot(tf.tensor1d(Array.from({ length: 16 }, (_, i) => i % 10), 'int32'), 10);
        const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, forward(plan, params, x, null)) as tf.Scalar, [...params.kernels, ...params.biases]);
        const out = [value, ...params.kernels.map((k) => grads[k.name]!), ...params.biases.map((b) => grads[b.name]!)].map((t) => tf.clone(t));
        disposeParams(params);
        return out;
      }, `${plan.layers.length}-layer net [${network.conv.join(',')}|${network.dense.join(',')}] loss and gradients`);
      for (const d of diffs) expect(d).toBeLessThan(1e-5);
    }
  });

  it('pruned weights stay exactly zero through Adam training, and the trained weights and curve match cpu', async () => {
    const spec = tinySpec();
    const { layers } = planNetwork(spec.network, data.shape, data.numClasses);
    const init = glorotInit(layers, 3);
    const mask = layers.map((l) => Uint8Array.from({ length: l.weights }, (_, j) => (j % 3 === 0 ? 0 : 1)));
    const job = { spec, trial: 0, variant: 'ticket' as const, round: 1, init, mask, startIteration: 0, captureAt: null };
    await initBackend('cpu');
    const cpu = await trainRun(job, data);
    await initBackend('webgpu');
    const gpu = await trainRun(job, data);
    const weightDiffs = gpu.finalWeights.kernels.map((k, l) => {
      for (let j = 0; j < k.length; j++) if (mask[l]![j] === 0) expect(Object.is(Math.abs(k[j]!), 0)).toBe(true);
      return relDiff(k, cpu.finalWeights.kernels[l]!);
    });
    console.log(`webgpu vs cpu, 40 Adam steps of a masked net: final kernels within ${weightDiffs.map((d) => d.toExponential(1)).join(', ')} (relative)`);
    for (const d of weightDiffs) expect(d).toBeLessThan(1e-3);
    gpu.result.curve.forEach((p, i) => {
      const c = cpu.result.curve[i]!;
      expect(Math.abs(p.valLoss - c.valLoss)).toBeLessThan(1e-3);
      expect(Math.abs(p.valAccuracy - c.valAccuracy)).toBeLessThanOrEqual(0.02);
    });
  });

  it('IMP on webgpu: masks nest round by round, pruned rounds rewind to θ0, and masks and accuracies agree with cpu', async () => {
    const spec = tinySpec({ controls: ['reinit'] });
    const run = async (backend: 'cpu' | 'webgpu') => {
      await initBackend(backend);
      const m = memorySink();
      await runImp({ spec, data, executor: inlineExecutor(data), sink: m.sink, resume: emptyResumeState() });
      return m;
    };
    const cpu = await run('cpu');
    const gpu = await run('webgpu');
    for (let r = 1; r < spec.pruning.rounds; r++) {
      const prev = gpu.masks.get(`0:${r - 1}`);
      const cur = gpu.masks.get(`0:${r}`)!;
      if (prev) cur.forEach((m, l) => m.forEach((v, j) => v === 1 && expect(prev[l]![j]).toBe(1)));
    }
    const { layers } = planNetwork(spec.network, data.shape, data.numClasses);
    expect(gpu.rewind.get(0)!.kernels).toEqual(glorotInit(layers, trialSeed(spec, 0)).kernels);
    const diff = (a: Mask, b: Mask) => a.reduce((n, m, i) => n + m.reduce((s, v, j) => s + (v !== b[i]![j] ? 1 : 0), 0), 0);
    const diffs = Array.from({ length: spec.pruning.rounds - 1 }, (_, i) => diff(gpu.masks.get(`0:${i + 1}`)!, cpu.masks.get(`0:${i + 1}`)!));
    const accDiffs = gpu.runs.map((g) => Math.abs(g.finalTestAccuracy - cpu.runs.find((x) => x.round === g.round && x.variant === g.variant)!.finalTestAccuracy));
    console.log(`webgpu vs cpu, tiny IMP: masks differ on ${diffs.join(', ')} weights (rounds 1..), final test accuracy |diff| max ${Math.max(...accDiffs)}`);
    for (const d of diffs) expect(d).toBeLessThanOrEqual(4);
    for (const g of gpu.runs) {
      const c = cpu.runs.find((x) => x.round === g.round && x.variant === g.variant)!;
      expect(Math.abs(g.finalTestAccuracy - c.finalTestAccuracy)).toBeLessThan(0.03);
    }
  });

  it('a device lost mid-run fails the run with a clear error (not an abort), and the next run gets a fresh device', async () => {
    const spec = tinySpec({ training: { optimizer: 'adam', learningRate: 0.01, batchSize: 20, iterations: 400, evalInterval: 100, validationSize: 100 } });
    const { layers } = planNetwork(spec.network, data.shape, data.numClasses);
    const job = { spec, trial: 0, variant: 'ticket' as const, round: 0, init: glorotInit(layers, 1), mask: denseMask(layers), startIteration: 0, captureAt: null };
    await initBackend('webgpu');
    let destroyed = false;
    const failure = await trainRun(job, data, {
      onProgress: (p) => {
        if (!destroyed && p.iteration > 0) {
          destroyed = true;
          destroyDeviceForTest();
        }
      },
    }).then(
      () => null,
      (err: Error) => err,
    );
    expect(destroyed).toBe(true);
    expect(failure).not.toBeNull();
    expect(failure).not.toBeInstanceOf(AbortedError);
    expect(failure!.message).toMatch(/GPU device was lost.*lth resume/);
    const info = await initBackend('webgpu');
    expect(info.name).toBe('webgpu');
    const again = await trainRun({ ...job, spec: tinySpec() }, data);
    expect(again.result.curve.at(-1)!.valAccuracy).toBeGreaterThan(0.5);
  });

  it('an experiment whose GPU is lost mid-run fails cleanly with that reason, keeps its finished runs, and resumes to completion', async () => {
    const home = mkdtempSync(join(tmpdir(), 'lth-webgpu-lost-'));
    const services = await createLabServices({ home, backend: 'webgpu', runner: 'inline', workers: 1 });
    try {
      const created = services.experiments.create({
        name: 'lost device',
        dataset: 'mnist',
        network: { conv: [], dense: [16], dropout: 0 },
        training: { optimizer: 'adam', learningRate: 0.005, batchSize: 60, iterations: 60, evalInterval: 60, validationSize: 1000 },
        pruning: { strategy: 'layerwise', rates: { conv: 0.1, dense: 0.2, output: 0.1 }, rounds: 2, rewindIteration: 0 },
        controls: [],
        trials: 1,
        seed: 3,
      });
      let lostOnce = false;
      const stop = services.subscribe((e) => {
        // Round 1 (after round 0 was stored) loses its device part-way.
        if (!lostOnce && e.type === 'progress' && e.experimentId === created.id && e.round === 1 && e.iteration > 0) {
          lostOnce = true;
          destroyDeviceForTest();
        }
      });
      expect(await services.waitFor(created.id)).toBe('failed');
      stop();
      const failed = services.experiments.get(created.id);
      expect(failed.error).toMatch(/GPU device was lost.*lth resume/);
      expect(failed.runs.map((r) => r.round)).toEqual([0]);
      services.experiments.resume(created.id);
      expect(await services.waitFor(created.id)).toBe('completed');
      expect(services.experiments.get(created.id).runs.map((r) => r.round).sort()).toEqual([0, 1]);
    } finally {
      await services.close();
    }
  });
});
