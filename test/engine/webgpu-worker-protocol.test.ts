import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { getEventListeners } from 'node:events';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/main/engine/backend';
import { inlineExecutor } from '../../src/main/engine/executor';
import { runImp } from '../../src/main/engine/imp';
import { planNetwork } from '../../src/main/engine/network';
import { AbortedError, trainRun } from '../../src/main/engine/trainer';
import { checkpointKey, emptyResumeState, type Checkpoint, type ExperimentSink, type Mask } from '../../src/main/engine/types';
import { denseMask, glorotInit } from '../../src/main/engine/weights';
import { portExecutor } from '../../src/main/electron/gpu-trainer/executor';
import { serveTrainer } from '../../src/main/electron/gpu-trainer/host';
import { desktopTraining, probeTrainer } from '../../src/main/electron/gpu-trainer/probe';
import type { TrainerPort } from '../../src/main/electron/gpu-trainer/protocol';
import type { RunResult } from '../../src/shared/results';
import { quadrantDataset, tinySpec } from './synthetic';

/**
 * The desktop app's WebGPU home: the trainer host behind a MessagePort (a Web Worker of a hidden window in the
 * app) and main's executor on the other end. Here both ends run in plain Node over a real MessageChannel, with
 * the real trainer on the cpu backend; the port is what the Web Worker gets in the app.
 */
const port = (p: MessagePort): TrainerPort => ({
  postMessage: (m, transfer) => p.postMessage(m, transfer),
  onMessage: (l) => void p.on('message', l),
  close: () => p.close(),
});

const data = quadrantDataset();
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

function connect(loadBackend = async () => ({ backend: (await initBackend('cpu')).name, detail: 'test host' })) {
  const channel = new MessageChannel();
  serveTrainer(port(channel.port2), loadBackend);
  const executor = portExecutor(port(channel.port1), data);
  closers.push(async () => {
    await executor.close();
    channel.port2.close();
  });
  return executor;
}

function memorySink() {
  const s = { masks: new Map<string, Mask>(), runs: [] as RunResult[], checkpoints: new Map<string, Checkpoint>() };
  const sink: ExperimentSink = {
    saveRewindWeights: () => undefined,
    saveMask: (t, r, m) => s.masks.set(`${t}:${r}`, m),
    saveTrainedWeights: () => undefined,
    saveRun: (r) => s.runs.push(r),
    saveCheckpoint: (c) => s.checkpoints.set(checkpointKey(c.trial, c.variant, c.round), c),
  };
  return { ...s, sink };
}

beforeAll(async () => {
  await initBackend('cpu');
});

describe('trainer host over a MessagePort (the desktop WebGPU worker protocol)', () => {
  it('sends the dataset once as transferred bytes (main keeps its own), reports the backend, and trains exactly what trainRun trains inline', async () => {
    const spec = tinySpec();
    const { layers } = planNetwork(spec.network, data.shape, data.numClasses);
    const job = { spec, trial: 0, variant: 'ticket' as const, round: 0, init: glorotInit(layers, 4), mask: denseMask(layers), startIteration: 0, captureAt: 10 };
    const executor = connect();
    const bytes = data.trainImages.length;
    expect((await executor.ready).backend).toBe('cpu');
    expect(data.trainImages.length).toBe(bytes);
    const progress: number[] = [];
    const remote = await executor.run(job, 0, { onProgress: (p) => progress.push(p.iteration) });
    const inline = await trainRun(job, data);
    expect(remote.finalWeights).toEqual(inline.finalWeights);
    expect(remote.captured).toEqual(inline.captured);
    expect({ ...remote.result, durationMs: 0 }).toEqual({ ...inline.result, durationMs: 0 });
    expect(progress.at(-1)).toBe(spec.training.iterations);
  });

  it('streams checkpoints, and a whole IMP experiment through it gives the masks and results of the inline executor', async () => {
    const spec = tinySpec({ controls: ['reinit'] });
    const remote = memorySink();
    await runImp({ spec, data, executor: connect(), sink: remote.sink, resume: emptyResumeState(), checkpointEveryIterations: 15 });
    const inline = memorySink();
    await runImp({ spec, data, executor: inlineExecutor(data), sink: inline.sink, resume: emptyResumeState() });
    expect([...remote.masks.entries()]).toEqual([...inline.masks.entries()]);
    const strip = (rs: RunResult[]) => rs.map((r) => ({ ...r, durationMs: 0 })).sort((a, b) => a.round - b.round || a.variant.localeCompare(b.variant));
    expect(strip(remote.runs)).toEqual(strip(inline.runs));
    expect(remote.checkpoints.size).toBeGreaterThan(0);
  });

  it('an abort stops the run as an abort, not a failure', async () => {
    const spec = tinySpec({ training: { optimizer: 'adam', learningRate: 0.01, batchSize: 20, iterations: 100_000, evalInterval: 50_000, validationSize: 100 } });
    const { layers } = planNetwork(spec.network, data.shape, data.numClasses);
    const controller = new AbortController();
    const executor = connect();
    const run = executor.run({ spec, trial: 0, variant: 'ticket', round: 0, init: glorotInit(layers, 1), mask: denseMask(layers), startIteration: 0, captureAt: null }, 0, {
      signal: controller.signal,
      onProgress: (p) => p.iteration > 20 && controller.abort(),
    });
    await expect(run).rejects.toBeInstanceOf(AbortedError);
  });

  it("a host whose backend cannot load says why, and every run fails with that reason", async () => {
    const executor = connect(async () => {
      throw new Error('WebGPU is not available: navigator.gpu is undefined (Chromium on Linux needs --enable-unsafe-webgpu)');
    });
    await expect(executor.ready).rejects.toThrow(/could not start: WebGPU is not available: navigator\.gpu is undefined/);
    const spec = tinySpec();
    const { layers } = planNetwork(spec.network, data.shape, data.numClasses);
    await expect(executor.run({ spec, trial: 0, variant: 'ticket', round: 0, init: glorotInit(layers, 1), mask: denseMask(layers), startIteration: 0, captureAt: null }, 0, {})).rejects.toThrow(/navigator\.gpu/);
  });

  it('the host refuses a malformed message with a trainer-failed answer instead of acting on it', async () => {
    const channel = new MessageChannel();
    serveTrainer(port(channel.port2), async () => ({ backend: 'cpu' }));
    const answer = new Promise((resolve) => channel.port1.once('message', resolve));
    channel.port1.postMessage({ type: 'train', id: 'x' });
    expect(await answer).toMatchObject({ type: 'trainer-failed', message: expect.stringMatching(/unexpected message/) });
    channel.port1.close();
    channel.port2.close();
  });

  it("the app's start-up probe: a host that loads reports its backend; one that cannot says why, and the app then says which flags or driver would enable WebGPU", async () => {
    const ok = new MessageChannel();
    serveTrainer(port(ok.port2), async () => ({ backend: (await initBackend('cpu')).name, detail: 'cpu in a test host' }));
    expect(await probeTrainer(port(ok.port1), 10_000)).toEqual({ ok: true, backend: 'cpu', detail: 'cpu in a test host', adapter: null });
    ok.port1.close();
    ok.port2.close();

    const bad = new MessageChannel();
    serveTrainer(port(bad.port2), async () => {
      throw new Error('tf.setBackend("webgpu") returned false: no WebGPU adapter or device');
    });
    const failed = await probeTrainer(port(bad.port1), 10_000);
    bad.port1.close();
    bad.port2.close();
    expect(failed).toEqual({ ok: false, reason: 'tf.setBackend("webgpu") returned false: no WebGPU adapter or device' });
    const linux = desktopTraining(failed, 'linux');
    expect(linux.useWindow).toBe(false);
    expect(linux.note).toMatch(/^WebGPU is not used by the desktop app: tf\.setBackend.*LTH_ENABLE_UNSAFE_WEBGPU=1.*training on the CPU backends$/);

    const hardware = { vendor: 'nvidia', architecture: 'hopper', device: '', description: '', fallback: false, software: false, route: 'browser' };
    expect(desktopTraining({ ok: true, backend: 'webgpu', detail: 'WebGPU (Chromium) on nvidia hopper', adapter: hardware })).toEqual({ useWindow: true, detail: 'WebGPU (Chromium) on nvidia hopper', note: null });
    const swiftshader = desktopTraining({ ok: true, backend: 'webgpu', detail: 'WebGPU (Chromium) on google swiftshader, software adapter', adapter: { ...hardware, vendor: 'google', architecture: 'swiftshader', software: true } });
    expect(swiftshader.useWindow).toBe(false);
    expect(swiftshader.note).toMatch(/only a software adapter/);

    const silent = new MessageChannel();
    expect(await probeTrainer(port(silent.port1), 200)).toEqual({ ok: false, reason: 'the WebGPU trainer window did not answer within 0.2 s' });
    silent.port1.close();
    silent.port2.close();
  });
});

describe('stopping a run over the port (the desktop WebGPU worker)', () => {
  it('a run stopped mid-way sends its checkpoint before it leaves, and resuming from it ends equal to an uninterrupted run', async () => {
    const spec = tinySpec({ training: { optimizer: 'adam', learningRate: 0.01, batchSize: 20, iterations: 150, evalInterval: 50, validationSize: 100 } });
    const { layers } = planNetwork(spec.network, data.shape, data.numClasses);
    const job = { spec, trial: 0, variant: 'ticket' as const, round: 0, init: glorotInit(layers, 4), mask: denseMask(layers), startIteration: 0, captureAt: null };
    const executor = connect();
    const stop = new AbortController();
    const saved: Checkpoint[] = [];
    const run = executor.run(job, 0, {
      signal: stop.signal,
      checkpointEveryMs: Number.MAX_SAFE_INTEGER,
      onCheckpoint: (c) => saved.push(c),
      onProgress: (p) => p.iteration > 10 && stop.abort(),
    });
    await expect(run).rejects.toBeInstanceOf(AbortedError);
    expect(saved).toHaveLength(1);
    expect(saved[0]!.iteration).toBeLessThan(150);
    const resumed = await executor.run(job, 0, { restore: saved[0]! });
    const inline = await trainRun(job, data);
    expect(resumed.finalWeights).toEqual(inline.finalWeights);
    expect({ ...resumed.result, durationMs: 0 }).toEqual({ ...inline.result, durationMs: 0 });
  });

  it('runs that share an experiment signal leave no abort listener behind', async () => {
    const spec = tinySpec({ training: { optimizer: 'adam', learningRate: 0.01, batchSize: 20, iterations: 2, evalInterval: 2, validationSize: 100 } });
    const { layers } = planNetwork(spec.network, data.shape, data.numClasses);
    const executor = connect();
    const signal = new AbortController().signal;
    for (let r = 0; r < 3; r++) await executor.run({ spec, trial: 0, variant: 'ticket', round: r, init: glorotInit(layers, 4), mask: denseMask(layers), startIteration: 0, captureAt: null }, 0, { signal });
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });
});
