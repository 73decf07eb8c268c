import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { activeBackend, TFJS_VERSION } from '../engine/backend';
import { BUILTIN_MNIST_REF, loadDataset } from '../engine/data';
import type { LoadedDataset } from '../engine/data/types';
import { inlineExecutor, type Executor } from '../engine/executor';
import { runImp } from '../engine/imp';
import { planNetwork } from '../engine/network';
import { packingExecutor } from '../engine/packed/packed-executor';
import { trainPacked, type PackMember } from '../engine/packed/packed-trainer';
import { trainRun } from '../engine/trainer';
import { emptyResumeState, type TrainJob, type TrainOutcome } from '../engine/types';
import { ensureBuiltinDatasets } from '../services/datasets';
import { LTH_LAB_VERSION } from '../services/version';
import { openStore } from '../store';
import { parseSpec } from '../../shared/spec';
import { benchSpec, maskedJob, withTinyTestSet } from './networks';
import type { Target } from './types';

/** What "one after another" ran in the last packedThroughput call. */
let baseline = 'trainRun';

/** Packed vs one-after-another training throughput of R LeNet-300-100 runs (issue 11). */
export interface PackedRow {
  runs: number;
  steps: number;
  /** Aggregate run-steps/s, best chunk and median. */
  packedRunStepsPerSec: number;
  packedMedian: number;
  sequentialRunStepsPerSec: number;
  sequentialMedian: number;
  /** packed / sequential (best vs best). */
  speedup: number;
  /** packed R runs / one run alone (best vs best): the "15 packed runs reach >= 8x one run alone". */
  vsOneRun: number;
}

export interface PackedExperiment {
  description: string;
  packedSeconds: number;
  unpackedSeconds: number;
  /** unpacked / packed. */
  speedup: number;
  packs: number[];
  runs: number;
}

export interface PackedResult {
  backend: string;
  detail: string;
  rows: PackedRow[];
  /** What the one-after-another side ran. */
  baseline: string;
  experiment: PackedExperiment | null;
}

const r2 = (x: number) => Number(x.toFixed(2));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[(s.length >> 1) - 1]! + s[s.length >> 1]!) / 2;
}

async function packOnce(jobs: TrainJob[], data: LoadedDataset): Promise<void> {
  const outs: Promise<TrainOutcome>[] = [];
  const members: PackMember[] = jobs.map((job) => {
    let resolve!: (o: TrainOutcome) => void;
    let reject!: (e: Error) => void;
    outs.push(new Promise<TrainOutcome>((res, rej) => ((resolve = res), (reject = rej))));
    return { job, hooks: {}, resolve, reject };
  });
  await trainPacked(members, data);
  await Promise.all(outs);
}

/**
 * R masked LeNet-300-100 runs (R trials, so R different data orders) for `steps` iterations each: as one pack, and
 * with trainRun one after another, alternated `rounds` times so both see the same load. Evaluation is excluded
 * as in the throughput rows (one validation and one test example at the start and end); set-up and readback of the
 * final weights are included on both sides.
 */
export async function packedThroughput(opts: { runs: number[]; steps: number; rounds: number; log: (line: string) => void }): Promise<PackedRow[]> {
  const full = loadDataset(BUILTIN_MNIST_REF);
  const data = withTinyTestSet(full);
  const spec = benchSpec('lenet300', { iterations: opts.steps });
  const backend = activeBackend()?.name ?? 'unknown';
  // Warm-up: the first calls compile shaders (WebGPU) or grow the heap (wasm).
  const warm = benchSpec('lenet300', { iterations: 3 });
  await packOnce([0, 1].map((t) => maskedJob(warm, data, t)), data);
  // One after another is trainRun where it runs; where it cannot (its synchronous readbacks need OffscreenCanvas on
  // WebGPU in Node until the trainer reads asynchronously), the same engine with packs of one run each.
  let alone: (job: TrainJob) => Promise<void> = (job) => trainRun(job, data).then(() => undefined);
  baseline = 'trainRun';
  try {
    await alone(maskedJob(warm, data));
  } catch (err) {
    opts.log(`trainRun fails on ${backend} (${(err as Error).message}): one after another = packs of one run`);
    alone = (job: TrainJob) => packOnce([job], data);
    baseline = 'packs of one run (trainRun cannot read back synchronously here)';
    await alone(maskedJob(warm, data));
  }
  const rows: PackedRow[] = [];
  let oneRun = 0;
  for (const R of opts.runs) {
    const jobs = Array.from({ length: R }, (_, t) => maskedJob(spec, data, t));
    const packed: number[] = [];
    const seq: number[] = [];
    for (let round = 0; round < opts.rounds; round++) {
      let t0 = performance.now();
      for (const j of jobs) await alone(j);
      seq.push((R * opts.steps * 1000) / (performance.now() - t0));
      t0 = performance.now();
      await packOnce(jobs, data);
      packed.push((R * opts.steps * 1000) / (performance.now() - t0));
      opts.log(`${backend} packed R=${R} round ${round + 1}/${opts.rounds}: packed ${packed.at(-1)!.toFixed(1)}, one after another ${seq.at(-1)!.toFixed(1)} run-steps/s`);
    }
    const best = Math.max(...packed);
    const bestSeq = Math.max(...seq);
    if (R === 1) oneRun = Math.max(bestSeq, best);
    rows.push({
      runs: R,
      steps: opts.steps,
      packedRunStepsPerSec: r2(best),
      packedMedian: r2(median(packed)),
      sequentialRunStepsPerSec: r2(bestSeq),
      sequentialMedian: r2(median(seq)),
      speedup: r2(best / bestSeq),
      vsOneRun: r2(best / (oneRun || bestSeq)),
    });
  }
  return rows;
}

/**
 * The small experiment: 3 trials x (ticket + reinit + random) x 3 rounds x `iterations`, evaluating every
 * 100 iterations on 5000 validation + 10000 test examples, through runImp into a temporary store, with the packing
 * executor and with the inline executor (one run at a time, this process), on the active backend.
 */
export async function packedExperiment(opts: { iterations: number; log: (line: string) => void }): Promise<PackedExperiment> {
  const home = mkdtempSync(join(tmpdir(), 'lth-bench-packed-'));
  const store = openStore({ dataDir: home, dbPath: join(home, 'lth.sqlite') });
  try {
    ensureBuiltinDatasets(store);
    const base = benchSpec('lenet300', { iterations: opts.iterations, rounds: 3, evalInterval: 100, validationSize: 5000, controls: ['reinit', 'random'] });
    const spec = parseSpec({ ...base, trials: 3, engineVersion: 2 });
    const data = loadDataset({ ...BUILTIN_MNIST_REF, hash: store.datasets.get('mnist').hash });
    const plan = planNetwork(spec.network, data.shape, data.numClasses);
    const time = async (executor: Executor): Promise<{ seconds: number; runs: number }> => {
      const e = store.experiments.create({ spec, datasetHash: data.hash, versions: { lthLab: LTH_LAB_VERSION, tfjs: TFJS_VERSION }, layers: plan.layers, status: 'running' });
      let runs = 0;
      const t0 = performance.now();
      try {
        await runImp({ spec, data, executor, sink: store.sinkFor(e.id), resume: emptyResumeState(), onRun: () => (runs += 1) });
      } finally {
        await executor.close();
      }
      return { seconds: (performance.now() - t0) / 1000, runs };
    };
    const packs: number[] = [];
    opts.log(`small experiment, packed (${opts.iterations} iterations per run)`);
    const packed = await time(packingExecutor(data, { onPack: (j) => packs.push(j.length) }));
    opts.log(`small experiment, packed: ${packed.seconds.toFixed(1)} s in packs of ${packs.join(', ')}; now one run at a time`);
    const unpacked = await time(inlineExecutor(data));
    opts.log(`small experiment, one run at a time: ${unpacked.seconds.toFixed(1)} s`);
    return {
      description: `3 trials x (ticket + reinit + random) x 3 rounds x ${opts.iterations} iterations, LeNet-300-100 on MNIST, eval every 100 (5000 val + 10000 test), SQLite sink`,
      packedSeconds: r2(packed.seconds),
      unpackedSeconds: r2(unpacked.seconds),
      speedup: r2(unpacked.seconds / packed.seconds),
      packs,
      runs: packed.runs,
    };
  } finally {
    store.close();
    rmSync(home, { recursive: true, force: true });
  }
}

/** Every packed measurement on the active backend. */
export async function packedBench(opts: { quick: boolean; experiment: boolean; experimentIterations?: number; rows?: boolean; log: (line: string) => void }): Promise<PackedResult> {
  const info = activeBackend();
  const backend = info?.name ?? 'unknown';
  const gpu = backend === 'webgpu';
  const steps = gpu ? (opts.quick ? 10 : 30) : opts.quick ? 30 : 100;
  const rows = opts.rows === false ? [] : await packedThroughput({ runs: [1, 5, 15], steps, rounds: opts.quick ? 1 : 2, log: opts.log });
  const experiment = opts.experiment ? await packedExperiment({ iterations: opts.experimentIterations ?? (opts.quick ? 100 : 1000), log: opts.log }) : null;
  return { backend, detail: info?.detail ?? '', rows, baseline, experiment };
}

/** The BENCHMARKS.md section of the packed measurements. */
export function renderPacked(results: PackedResult[]): string[] {
  const out: string[] = [];
  const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  out.push('## Packed training (issue 11)');
  out.push('');
  out.push(row(['target', 'measured', 'result', 'margin']));
  out.push(row(['---', '---', '---', '---']));
  for (const t of packedTargets(results)) out.push(row([t.goal, t.value, t.met === null ? 'not measured' : t.met ? '**met**' : '**missed**', t.margin]));
  out.push('');
  out.push(
    'R masked LeNet-300-100 runs (R trials: each its own init, mask and data order; Adam, batch 60), trained as one packed model (`trainPacked`, src/main/engine/packed) vs the same R runs with `trainRun` one after another, alternated per round so both see the same load. Aggregate run-steps/s = R x steps / wall time, set-up and final readback included, evaluation excluded. On wasm each run keeps its own 2-D XNNPACK matMuls (a batched matMul falls back to a naive loop there) and everything else is one op over the stack; on WebGPU the matMuls are batched.',
  );
  out.push('');
  out.push(row(['backend', 'R', 'steps per run', 'packed run-steps/s (best)', 'median', 'one after another (best)', 'median', 'packed / one after another', 'packed / one run alone']));
  out.push(row(Array.from({ length: 9 }, () => '---')));
  for (const r of results) {
    for (const x of r.rows) {
      out.push(row([r.backend, x.runs, x.steps, x.packedRunStepsPerSec, x.packedMedian, x.sequentialRunStepsPerSec, x.sequentialMedian, `${x.speedup}x`, `${x.vsOneRun}x`]));
    }
  }
  out.push('');
  for (const r of results) out.push(`- ${r.backend}: ${r.detail}; one after another = ${r.baseline}`);
  const exps = results.filter((r) => r.experiment);
  if (exps.length) {
    out.push('');
    out.push(row(['backend', 'experiment', 'packed', 'one run at a time', 'speedup', 'packs (runs each)']));
    out.push(row(Array.from({ length: 6 }, () => '---')));
    for (const r of exps) {
      const e = r.experiment!;
      out.push(row([r.backend, `${e.description} (${e.runs} runs)`, `${e.packedSeconds} s`, `${e.unpackedSeconds} s`, `${e.speedup}x`, e.packs.join(', ')]));
    }
  }
  return out;
}

/** The targets of issue 11 from packed results (any backends measured), each with its margin. */
export function packedTargets(results: PackedResult[]): Target[] {
  const out: Target[] = [];
  const gpu = results.find((r) => r.backend === 'webgpu' || r.backend === 'tensorflow-gpu');
  const r15 = gpu?.rows.find((x) => x.runs === 15);
  const software = gpu ? /software adapter/.test(gpu.detail) : false;
  const t = atLeastTarget('packed-gpu-8x', 'on a GPU backend, 15 packed LeNet-300-100 runs reach >= 8x the run-steps/s of one run alone', r15?.vsOneRun ?? null, 8);
  if (software) t.goal += ' (measured on a software WebGPU adapter, CPU-bound: no GPU here)';
  out.push(t);
  out.push({ id: 'packed-h200', goal: 'on the H200: aggregate LeNet-300-100 throughput of 15 packed runs beats PyTorch CUDA training them one after another', value: 'not measured (no GPU machine was lent to this task)', met: null, margin: '' });
  const wasm = results.find((r) => r.backend === 'wasm')?.experiment;
  if (wasm) {
    // What lth run does on wasm is --pack auto, which does not pack there (policy.ts): the experiment is today's.
    out.push({
      id: 'packed-wasm-experiment',
      goal: 'on wasm, the small experiment is no slower than today (lth run, --pack auto)',
      value: `auto does not pack on wasm: unchanged, ${wasm.unpackedSeconds} s`,
      met: true,
      margin: 'met by not packing (0% slower)',
    });
    const forced = atLeastTarget('packed-wasm-forced', 'the same experiment with --pack on (packed / one run at a time, higher is faster)', wasm.speedup, 1);
    forced.value = `packed ${wasm.packedSeconds} s vs ${wasm.unpackedSeconds} s (${wasm.speedup}x)`;
    out.push(forced);
  }
  return out;
}

function atLeastTarget(id: string, goal: string, value: number | null, want: number): Target {
  if (value === null || !Number.isFinite(value)) return { id, goal, value: 'not measured', met: null, margin: '' };
  const met = value >= want;
  const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
  return { id, goal, value: `${value}x`, met, margin: met ? `met, ${pct(value / want - 1)} above` : `missed by ${(want - value).toFixed(2)}x (${pct(1 - value / want)} short; needs ${(want / value).toFixed(2)}x)` };
}
