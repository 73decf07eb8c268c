import { afterAll, describe, expect, it } from 'vitest';
import { initBackend, releaseBackend } from '../../src/main/engine/backend';
import { controlJob } from '../../src/main/engine/ablations';
import { runImp } from '../../src/main/engine/imp';
import { planNetwork } from '../../src/main/engine/network';
import { packingExecutor } from '../../src/main/engine/packed/packed-executor';
import { trainPacked, type PackMember } from '../../src/main/engine/packed/packed-trainer';
import { magnitudeMask } from '../../src/main/engine/prune';
import { trialSeed } from '../../src/main/engine/random';
import { trainRun } from '../../src/main/engine/trainer';
import { emptyResumeState, type ExperimentSink, type Mask, type TrainJob, type TrainOutcome, type WeightSet } from '../../src/main/engine/types';
import { denseMask, glorotInit } from '../../src/main/engine/weights';
import type { RunResult } from '../../src/shared/results';
import type { ExperimentSpec } from '../../src/shared/spec';
import { quadrantDataset, tinySpec } from './synthetic';
import { skipUnlessCi } from '../ci-required';

/**
 * Packed training on tfjs's WebGPU backend (batched matMuls), here Dawn on a software adapter found by the lab
 * itself, WEBGPU_CPU_FORWARD=false so every kernel runs on the GPU path. Skipped, with the reason printed, only
 * where no adapter can be created, and never under CI (test/ci-required.ts).
 *
 * The unpacked reference on the same backend is trainRun, and nothing else: were it to fail, a packed stand-in
 * would compare the packed trainer with itself. The one-run trainer on the cpu backend is compared across backends. Seen here: R = 1 identical, R = 3
 * 1.5e-7 and R = 8 3.3e-7 relative vs trainRun on WebGPU (batched vs 2-D matMul programs), 3.3e-6 vs cpu; masks equal.
 * Stated tolerances: same backend, packed vs unpacked: masks of the next round identical, final weights within 1e-5
 * relative (largest |diff| / largest |w|), every curve point within 1e-5 in loss and identical accuracies; across
 * backends (WebGPU vs cpu, the bound of webgpu.test.ts): weights within 1e-3 relative, validation loss within 1e-3,
 * accuracies within 0.02, next-round masks differing in at most 4 weights.
 */
process.env.WEBGPU_CPU_FORWARD = 'false';
const unavailable = skipUnlessCi(
  'the WebGPU adapter',
  await initBackend('webgpu').then(
    (info) => {
      console.log(`packed webgpu tests on: ${info.detail}`);
      return null;
    },
    (err: Error) => err.message,
  ),
);
afterAll(() => releaseBackend());

const data = quadrantDataset(400, 200, 3);

function relDiff(a: WeightSet, b: WeightSet): number {
  let d = 0;
  let m = 0;
  [...a.kernels, ...a.biases].forEach((x, i) => {
    const y = [...b.kernels, ...b.biases][i]!;
    for (let j = 0; j < x.length; j++) {
      d = Math.max(d, Math.abs(x[j]! - y[j]!));
      m = Math.max(m, Math.abs(y[j]!));
    }
  });
  return d / Math.max(m, 1e-12);
}

function maskDiff(a: Mask, b: Mask): number {
  return a.reduce((n, m, i) => n + m.reduce((s, v, j) => s + (v !== b[i]![j] ? 1 : 0), 0), 0);
}

async function pack(jobs: TrainJob[]): Promise<TrainOutcome[]> {
  const outs: Promise<TrainOutcome>[] = [];
  const members: PackMember[] = jobs.map((job) => {
    let resolve!: (o: TrainOutcome) => void;
    let reject!: (e: Error) => void;
    outs.push(new Promise<TrainOutcome>((res, rej) => ((resolve = res), (reject = rej))));
    return { job, hooks: {}, resolve, reject };
  });
  await trainPacked(members, data);
  return Promise.all(outs);
}

function mixedJobs(spec: ExperimentSpec, n: number): TrainJob[] {
  const { layers } = planNetwork(spec.network, data.shape, data.numClasses);
  const jobs: TrainJob[] = [];
  for (let i = 0; jobs.length < n; i++) {
    const trial = i % 3;
    const round = 1 + (i % 2);
    const seed = trialSeed(spec, trial);
    const init = glorotInit(layers, seed);
    const dense = denseMask(layers);
    let mask: Mask = dense;
    for (let r = 1; r <= round; r++) mask = magnitudeMask(layers, init, mask, dense, r, spec.pruning);
    const start = i % 4 === 0 ? 0 : 10;
    const kind = i % 3;
    if (kind === 0) jobs.push({ spec, trial, variant: 'ticket', round, init, mask, startIteration: start, captureAt: null });
    else jobs.push(controlJob(spec, layers, seed, kind === 1 ? 'reinit' : 'random', { trial, round, init, mask, start }, kind === 1 ? 0 : start));
  }
  return jobs;
}

const nextMask = (spec: ExperimentSpec, job: TrainJob, w: WeightSet) => {
  const { layers } = planNetwork(spec.network, data.shape, data.numClasses);
  return magnitudeMask(layers, w, job.mask, denseMask(layers), job.round + 1, spec.pruning);
};

describe.skipIf(unavailable !== null)('packed training on WebGPU', () => {
  for (const R of [1, 3, 8]) {
    it(`R = ${R}, mixed variants: packed vs unpacked on WebGPU, and vs the one-run trainer on cpu`, async () => {
      const spec = tinySpec({ engineVersion: 2, training: { optimizer: 'adam', learningRate: 0.01, batchSize: 20, iterations: 30, evalInterval: 10, validationSize: 100 } });
      const jobs = mixedJobs(spec, R);
      await initBackend('webgpu');
      const packed = await pack(jobs);
      const alone: TrainOutcome[] = [];
      for (const j of jobs) alone.push(await trainRun(j, data));
      await initBackend('cpu');
      const cpu = await Promise.all(jobs.map((j) => trainRun(j, data)));
      await initBackend('webgpu');
      let same = 0;
      let cross = 0;
      let crossMask = 0;
      jobs.forEach((j, i) => {
        const p = packed[i]!;
        same = Math.max(same, relDiff(p.finalWeights, alone[i]!.finalWeights));
        expect(maskDiff(nextMask(spec, j, p.finalWeights), nextMask(spec, j, alone[i]!.finalWeights))).toBe(0);
        p.result.curve.forEach((pt, k) => {
          const a = alone[i]!.result.curve[k]!;
          expect(pt.iteration).toBe(a.iteration);
          expect(Math.abs(pt.valLoss - a.valLoss)).toBeLessThan(1e-5);
          expect(pt.valAccuracy).toBe(a.valAccuracy);
          expect(pt.testAccuracy).toBe(a.testAccuracy);
          const c = cpu[i]!.result.curve[k]!;
          expect(Math.abs(pt.valLoss - c.valLoss)).toBeLessThan(1e-3);
          expect(Math.abs(pt.valAccuracy - c.valAccuracy)).toBeLessThanOrEqual(0.02);
        });
        cross = Math.max(cross, relDiff(p.finalWeights, cpu[i]!.finalWeights));
        crossMask = Math.max(crossMask, maskDiff(nextMask(spec, j, p.finalWeights), nextMask(spec, j, cpu[i]!.finalWeights)));
        // Pruned weights stay exactly zero.
        p.finalWeights.kernels.forEach((k, l) => k.forEach((v, x) => j.mask[l]![x] === 0 && expect(v).toBe(0)));
      });
      console.log(`webgpu packed R=${R}: vs trainRun max rel weight diff ${same.toExponential(2)}; vs cpu trainRun ${cross.toExponential(2)}, next-round masks differ in <= ${crossMask} weights`);
      expect(same).toBeLessThan(1e-5);
      expect(cross).toBeLessThan(1e-3);
      expect(crossMask).toBeLessThanOrEqual(4);
    });
  }

  it('a whole IMP through the packing executor on WebGPU agrees with the same on cpu (3 trials, ticket + reinit + random, 3 rounds)', async () => {
    const spec = tinySpec({
      engineVersion: 2,
      trials: 3,
      controls: ['reinit', 'random'],
      training: { optimizer: 'adam', learningRate: 0.01, batchSize: 20, iterations: 30, evalInterval: 10, validationSize: 100 },
    });
    const run = async (backend: 'cpu' | 'webgpu') => {
      await initBackend(backend);
      const s = { masks: new Map<string, Mask>(), runs: [] as RunResult[] };
      const sink: ExperimentSink = {
        saveRewindWeights: () => undefined,
        saveMask: (t, r, m) => s.masks.set(`${t}:${r}`, m),
        saveTrainedWeights: () => undefined,
        saveRun: (r) => s.runs.push(r),
        saveCheckpoint: () => undefined,
      };
      const packs: number[] = [];
      await runImp({ spec, data, executor: packingExecutor(data, { onPack: (j) => packs.push(j.length) }), sink, resume: emptyResumeState() });
      return { ...s, packs };
    };
    const gpu = await run('webgpu');
    const cpu = await run('cpu');
    await initBackend('webgpu');
    expect(gpu.packs).toEqual([3, 3, 9, 6]);
    let worst = 0;
    for (const [k, m] of cpu.masks) worst = Math.max(worst, maskDiff(gpu.masks.get(k)!, m));
    console.log(`IMP packed on webgpu vs cpu: masks differ in <= ${worst} weights per trial and round`);
    expect(worst).toBeLessThanOrEqual(4);
    expect(gpu.runs).toHaveLength(cpu.runs.length);
    for (const g of gpu.runs) {
      const c = cpu.runs.find((x) => x.trial === g.trial && x.round === g.round && x.variant === g.variant)!;
      expect(Math.abs(g.finalTestAccuracy - c.finalTestAccuracy)).toBeLessThan(0.03);
    }
  });
});
