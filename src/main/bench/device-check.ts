import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, releaseBackend } from '../engine/backend';
import { openStore } from '../store';
import { distDir } from './child';
import { matMulCeiling } from './matmul';
import { batchOf, benchData, LENET_STEP_FLOPS, NET_TITLE, type BenchNet } from './networks';
import { packedThroughput, type PackedRow } from './packed';
import { lthChunk, rateOf, type Rate } from './throughput';
import { startTorchPeer, torchAvailable, TORCH_PYTHON, type TorchPeer } from './torch-peer';

/**
 * The sections of the device check (scripts/device-check): what one lent GPU machine measures in one call, each
 * section in its own process under its own time budget. A section reports every step as it finishes, one JSON
 * line `{"step", "result"}` or `{"step", "error"}` on stdout, so a section stopped for overrunning still keeps
 * what it measured; the launcher (scripts/device-check/run.py) assembles the lines into device-check.json.
 */
export const DEVICE_SECTIONS = ['throughput', 'ceiling', 'peer', 'experiment'] as const;
export type DeviceSection = (typeof DEVICE_SECTIONS)[number];

/** The paper's LeNet-300-100 experiment: 5 trials x (16 ticket rounds + 15 x 2 control rounds) x 50K iterations. */
export const PAPER_RUN_STEPS = 5 * (16 + 15 * 2) * 50_000;

interface Ctx {
  quick: boolean;
  /** performance.now() by which the section must have ended. */
  deadline: number;
  budgetS: number;
  log: (line: string) => void;
  emit: (line: { step: string; result?: unknown; error?: string }) => void;
}

const leftMs = (c: Ctx) => c.deadline - performance.now();
const r3 = (x: number) => Number(x.toPrecision(4));

/** Runs one step: its result or its error is emitted, and a step begun with the budget spent is skipped. */
async function step<T>(c: Ctx, name: string, fn: () => Promise<T>): Promise<T | null> {
  if (leftMs(c) <= 0) {
    c.emit({ step: name, error: `skipped: the section's budget of ${c.budgetS} s was spent` });
    return null;
  }
  c.log(`device check: ${name}`);
  try {
    const result = await fn();
    c.emit({ step: name, result });
    return result;
  } catch (err) {
    c.emit({ step: name, error: (err as Error).message });
    return null;
  }
}

/** Chunks of one network on the active backend, each ended by its own window or by the section's budget. */
async function chunks(c: Ctx, net: BenchNet, plan: { warmup: number; steps: number; rounds: number; windowMs: number }): Promise<Rate & { network: string; batch: number }> {
  const data = benchData(net);
  const ms: number[] = [];
  const steps: number[] = [];
  for (let r = 0; r < plan.rounds && (r === 0 || leftMs(c) > plan.windowMs * 2); r++) {
    const chunk = await lthChunk(net, data, plan.warmup, plan.steps, Math.max(1, Math.min(plan.windowMs, leftMs(c) / 2)));
    ms.push(chunk.msPerStep);
    steps.push(chunk.steps);
  }
  const batch = batchOf(net);
  return { network: NET_TITLE[net], batch, ...rateOf(ms, batch, steps) };
}

async function webgpu(c: Ctx): Promise<{ detail: string; software: boolean }> {
  const info = await initBackend('webgpu');
  const out = { detail: info.detail, software: info.adapter?.software === true };
  c.emit({ step: 'adapter', result: out });
  return out;
}

/** WebGPU training throughput: LeNet-300-100 one run, R = 1/5/15 packed against one after another, Conv-2 and ResNet-20 steps. */
async function throughput(c: Ctx): Promise<void> {
  const gpu = await webgpu(c);
  const lenet = await step(c, 'lenet300', async () => {
    const rate = await chunks(c, 'lenet300', c.quick ? { warmup: 2, steps: 5, rounds: 1, windowMs: 20_000 } : { warmup: 30, steps: 400, rounds: 3, windowMs: 5_000 });
    return { ...rate, gflops: r3((rate.stepsPerSec * LENET_STEP_FLOPS) / 1e9) };
  });
  // "One run alone": the R = 1 row where it is measured (--quick leaves it out), else the trainRun row above.
  let one = lenet?.stepsPerSec ?? 0;
  for (const runs of [...(c.quick ? [] : [1]), ...packedRuns(c.quick)]) {
    await step(c, `packedR${runs}`, async () => {
      const [row] = await packedThroughput({ runs: [runs], steps: c.quick ? 2 : 120, rounds: 1, log: c.log });
      const r = row as PackedRow;
      if (runs === 1) one = Math.max(r.packedRunStepsPerSec, r.sequentialRunStepsPerSec);
      return { ...r, vsOneRun: one ? Number((r.packedRunStepsPerSec / one).toFixed(2)) : null };
    });
  }
  // A software adapter takes tens of seconds for one Conv-2 or ResNet-20 step: --quick leaves them to a GPU.
  const skip = c.quick && gpu.software;
  for (const net of ['conv2', 'resnet20'] as const) {
    await step(c, net, async () =>
      skip
        ? { skipped: 'skipped by --quick on a software adapter (one step takes tens of seconds there)' }
        : chunks(c, net, c.quick ? { warmup: 1, steps: 2, rounds: 1, windowMs: 20_000 } : net === 'conv2' ? { warmup: 3, steps: 30, rounds: 3, windowMs: 5_000 } : { warmup: 3, steps: 20, rounds: 2, windowMs: 8_000 }),
    );
  }
}

/** R of the packed LeNet-300-100 rows: 5 and 15, or 3 with --quick (15 runs one after another take minutes on a software adapter). */
export const packedRuns = (quick: boolean): number[] => (quick ? [3] : [5, 15]);

/** The matMul sizes of the ceiling: 1024² and 4096², or 256² and 512² with --quick (a software adapter does 4096² in minutes). */
export const ceilingSizes = (quick: boolean): number[] => (quick ? [256, 512] : [1024, 4096]);

/** The fp32 matMul ceiling of WebGPU on this adapter. */
async function ceiling(c: Ctx): Promise<void> {
  await webgpu(c);
  for (const n of ceilingSizes(c.quick)) {
    await step(c, `matmul${n}`, () => matMulCeiling(`${n}x${n} . ${n}x${n} (fp32)`, n, n, n, c.quick ? 2 : n >= 4096 ? 10 : 50, c.quick ? 1 : 3));
  }
}

/**
 * PyTorch on this machine's GPU (CUDA, cuDNN): the same networks, batch and optimizer as the WebGPU rows (each
 * checked to have the lab's parameter counts), fp32 with TF32 off and, beside it, with TF32 on. Without CUDA the
 * full check reports that; --quick runs the same commands on the CPU, which says the peer works, not how fast.
 */
async function peer(c: Ctx): Promise<void> {
  const available = torchAvailable();
  if (!available.version) {
    c.emit({ step: 'section', error: `PyTorch does not import under ${TORCH_PYTHON} (LTH_BENCH_PYTHON): ${available.reason}` });
    return;
  }
  let torch: TorchPeer | null = null;
  try {
    torch = await startTorchPeer();
    const device = torch.cuda ? 'cuda' : 'cpu';
    const noCuda = `PyTorch ${torch.version} under ${TORCH_PYTHON} sees no CUDA device`;
    if (!torch.cuda && !c.quick) {
      c.emit({ step: 'section', error: noCuda });
      return;
    }
    c.emit({ step: 'device', result: { torch: torch.version, python: TORCH_PYTHON, device: torch.cuda ? `cuda (${torch.cuda})` : 'cpu', ...(torch.cuda ? {} : { note: `${noCuda}: --quick ran the peer on the CPU to check it works; these are not GPU numbers` }) } });
    const t = torch;
    const q = c.quick;
    const rate = async (net: BenchNet, warmup: number, steps: number, rounds: number, tf32: boolean) => {
      const ms: number[] = [];
      let zero = true;
      for (let r = 0; r < rounds; r++) {
        const x = await t.chunk(net, warmup, steps, 1, device, tf32);
        ms.push(x.msPerStep);
        zero &&= x.prunedExactlyZero;
      }
      const batch = batchOf(net);
      return { ...rateOf(ms, batch, ms.map(() => steps)), prunedExactlyZero: zero };
    };
    // TF32 changes nothing on the CPU: there only the fp32 rows run.
    const both = async <T>(fn: (tf32: boolean) => Promise<T>) => ({ fp32: await fn(false), ...(device === 'cuda' ? { tf32: await fn(true) } : {}) });
    await step(c, 'lenet300', () => both((tf32) => rate('lenet300', q ? 2 : 30, q ? 5 : 500, q ? 1 : 3, tf32)));
    for (const runs of packedRuns(q)) {
      const packed = async (mode: 'sequential' | 'batched') => {
        const x = await t.packed(runs, q ? 1 : 10, q ? 2 : 200, device, mode, false);
        return { runStepsPerSec: r3(x.runStepsPerSec), seconds: r3(x.seconds), prunedExactlyZero: x.prunedExactlyZero };
      };
      await step(c, `packedR${runs}`, async () => ({ sequential: await packed('sequential'), batched: await packed('batched') }));
    }
    await step(c, 'conv2', () => both((tf32) => rate('conv2', q ? 1 : 5, q ? 1 : 50, q ? 1 : 3, tf32)));
    await step(c, 'resnet20', () => both((tf32) => rate('resnet20', q ? 1 : 3, q ? 1 : 20, q ? 1 : 2, tf32)));
    for (const n of ceilingSizes(q)) {
      await step(c, `matmul${n}`, () =>
        both(async (tf32) => {
          const x = await t.matmul(n, q ? 2 : n >= 4096 ? 20 : 100, q ? 1 : 3, device, tf32);
          return { gflops: r3(x.gflops), msPerCall: r3(x.msPerCall) };
        }),
      );
    }
  } finally {
    torch?.close();
  }
}

/**
 * The flags of the timed IMP experiment: the (LeNet-300-100, 5 trials, 5 rounds, 2,000 iterations, eval
 * every 500), or with --quick the same structure on a 784-20-10 MLP for 4 iterations: a software adapter evaluates
 * LeNet-300-100 on the 15,000 validation and test images in tens of seconds, and each run evaluates twice.
 */
export function experimentArgs(quick: boolean): string[] {
  const [trials, rounds, iterations, evalEvery] = quick ? [1, 2, 4, 4] : [5, 5, 2000, 500];
  return [
    'run',
    '--preset',
    'lenet300-mnist',
    ...(quick ? ['--dense', '20'] : []),
    ...['--trials', String(trials), '--rounds', String(rounds), '--iterations', String(iterations), '--eval-interval', String(evalEvery), '--controls', 'reinit,random', '--json'],
  ];
}

/**
 * One whole LeNet-300-100 IMP experiment through the real CLI on WebGPU (packing as `lth run` packs there), timed
 * from spawn to exit, and the paper's version projected from it by run-steps. Stopped at the budget, it reports the
 * runs stored by then and projects from those.
 */
async function experiment(c: Ctx): Promise<void> {
  const args = experimentArgs(c.quick);
  const flag = (name: string) => Number(args[args.indexOf(name) + 1]);
  const [trials, rounds, iterations] = [flag('--trials'), flag('--rounds'), flag('--iterations')];
  const runsPlanned = trials * (rounds + (rounds - 1) * 2);
  const home = mkdtempSync(join(tmpdir(), 'lth-device-experiment-'));
  try {
    const t0 = performance.now();
    const child = spawn(process.execPath, [join(distDir(), 'cli.js'), '--backend', 'webgpu', ...args], {
      env: { ...process.env, LTH_HOME: home, LTH_DB: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-3000)));
    let stopped = false;
    const timer = setTimeout(() => {
      stopped = true;
      child.kill('SIGKILL');
    }, Math.max(1000, leftMs(c) - 3000));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (x) => resolve(x)));
    clearTimeout(timer);
    const seconds = (performance.now() - t0) / 1000;
    const store = openStore({ dataDir: home, dbPath: join(home, 'lth.sqlite') });
    let runsDone = 0;
    let acc: number | null = null;
    try {
      const e = store.experiments.list()[0];
      const runs = e ? store.experiments.detail(e.id).runs : [];
      runsDone = runs.length;
      acc = runs.filter((r) => r.variant === 'ticket').sort((a, b) => a.round - b.round).at(-1)?.finalTestAccuracy ?? null;
    } finally {
      store.close();
    }
    const runSteps = runsDone * iterations;
    const result = {
      command: `lth --backend webgpu ${args.filter((a) => a !== '--json').join(' ')}`,
      rounds,
      runsPlanned,
      runsDone,
      runSteps,
      wallSeconds: Number(seconds.toFixed(1)),
      runStepsPerSec: runSteps ? r3(runSteps / seconds) : null,
      lastTicketTestAccuracy: acc,
      paperRunSteps: PAPER_RUN_STEPS,
      projectedPaperHours: runSteps ? r3((seconds * PAPER_RUN_STEPS) / runSteps / 3600) : null,
    };
    if (stopped) {
      const from = runsDone ? 'the projection is from those' : 'nothing to project from';
      c.emit({ step: 'run', result: { ...result, stopped: `over the section's budget of ${c.budgetS} s: stopped after ${result.wallSeconds} s with ${runsDone} of ${runsPlanned} runs stored; ${from}` } });
    } else if (code !== 0) {
      c.emit({ step: 'run', error: `lth run exited with ${code} after ${result.wallSeconds} s (${runsDone} runs stored): ${stderr.trim().split('\n').slice(-3).join(' / ')}` });
    } else {
      let status = 'completed';
      try {
        status = (JSON.parse(stdout) as { status: string }).status;
      } catch {
        /* the runs were counted from the store */
      }
      c.emit({ step: 'run', result: { ...result, status } });
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** Runs one section, emitting its steps as JSON lines on stdout. */
export async function deviceSection(section: DeviceSection, opts: { quick: boolean; budgetS: number; log: (line: string) => void }): Promise<void> {
  const c: Ctx = {
    quick: opts.quick,
    budgetS: opts.budgetS,
    deadline: performance.now() + opts.budgetS * 1000,
    log: opts.log,
    emit: (line) => process.stdout.write(`${JSON.stringify(line)}\n`),
  };
  try {
    if (section === 'throughput') await throughput(c);
    else if (section === 'ceiling') await ceiling(c);
    else if (section === 'peer') await peer(c);
    else await experiment(c);
  } catch (err) {
    // Before any step (no WebGPU adapter, no PyTorch): the whole section's reason.
    c.emit({ step: 'section', error: (err as Error).message });
  } finally {
    releaseBackend();
  }
}
