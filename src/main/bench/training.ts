import { availableParallelism } from 'node:os';
import { initBackend, type BackendChoice } from '../engine/backend';
import { matMulCeiling, type MatMulCeiling } from './matmul';
import { BENCH_NETS, batchOf, benchData, LENET_STEP_FLOPS, type BenchNet } from './networks';
import { lthChunk, rateOf, type Rate } from './throughput';
import type { TorchPeer } from './torch-peer';

export interface TrainingRow {
  network: BenchNet;
  /** Examples per step (absent in reports written before the deep networks: 60). */
  batch?: number;
  lth: Rate;
  /** device: 'cpu', or 'cuda (<name>)' for the webgpu rows on a machine where PyTorch sees a GPU. */
  torch: (Rate & { threads: number; prunedExactlyZero: boolean; device?: string }) | null;
  /** LTH Lab / PyTorch, best chunk against best chunk, and median against median. */
  ratio: number | null;
  ratioMedian: number | null;
  /** LeNet-300-100 only: achieved GFLOP/s and the fraction of the backend's matMul ceilings it is. */
  gflops?: number;
  fractionOf1024?: number;
  fractionOfLayer1?: number;
}

export interface BackendSection {
  backend: string;
  detail: string;
  /** Threads one LTH Lab training process uses on this backend (PyTorch gets the same). */
  threads: number;
  matmul: MatMulCeiling[];
  rows: TrainingRow[];
}

interface ChunkPlan {
  warmup: number;
  /** Steps timed per chunk, at most. */
  steps: number;
  rounds: number;
  /** A chunk ends once its timed window has lasted this long (one step at least): the slow backends time fewer steps. */
  budgetMs?: number;
}

/**
 * Chunk sizes per backend and network: about a second or more of training per chunk, fewer where a step is slow.
 * The deep networks are costly (measured at load 1-7 on the 2-core machine: a ResNet-20 step at batch 128 took
 * 3-9 s on wasm, 46 s on the llvmpipe WebGPU adapter, 130 s on the cpu backend), so they time few steps there, and
 * VGG-19 (11 s a step on wasm) runs on wasm and tfjs-node only, in the full benchmark. `software`: a WebGPU
 * adapter that is a CPU rasterizer (llvmpipe, lavapipe, SwiftShader).
 */
function plan(backend: string, net: BenchNet, quick: boolean, software = false): ChunkPlan | null {
  const fast = backend === 'wasm' || backend === 'tensorflow';
  if (net === 'resnet20') {
    if (fast) return quick ? { warmup: 1, steps: 1, rounds: 1 } : { warmup: 1, steps: 3, rounds: 3 };
    // webgpu: the warmup step pays for shader compilation. A software adapter times one step (--quick: none); a
    // GPU up to ten per chunk or 30 s. cpu: a step takes minutes and compiles nothing, so its first step is timed.
    if (backend === 'webgpu') {
      if (software) return quick ? null : { warmup: 1, steps: 1, rounds: 1 };
      return quick ? { warmup: 2, steps: 5, rounds: 1, budgetMs: 30_000 } : { warmup: 2, steps: 10, rounds: 3, budgetMs: 30_000 };
    }
    return quick ? null : { warmup: 0, steps: 1, rounds: 1 };
  }
  if (net === 'vgg19') return fast && !quick ? { warmup: 1, steps: 1, rounds: 1 } : null;
  if (backend === 'webgpu') {
    // A hardware GPU is fast, a software adapter slow (~65 ms per LeNet step): sized for the slow case, as
    // the first steps pay for shader compilation.
    if (net === 'lenet300') return quick ? { warmup: 10, steps: 30, rounds: 2 } : { warmup: 20, steps: 100, rounds: 3 };
    return quick ? { warmup: 2, steps: 3, rounds: 1 } : { warmup: 2, steps: 10, rounds: 3 };
  }
  if (net === 'lenet300') {
    if (fast) return quick ? { warmup: 20, steps: 100, rounds: 2 } : { warmup: 20, steps: 300, rounds: 5 };
    return quick ? { warmup: 2, steps: 4, rounds: 1 } : { warmup: 2, steps: 12, rounds: 3 };
  }
  if (fast) return quick ? { warmup: 1, steps: 2, rounds: 1 } : { warmup: 1, steps: 4, rounds: 3 };
  return quick ? null : { warmup: 1, steps: 2, rounds: 1 };
}

/** LTH Lab / PyTorch from ms per step: two decimals, two significant digits under 0.1 (0.013x, not 0.01x). */
function ratioOf(torchMs: number, lthMs: number): number {
  const x = torchMs / lthMs;
  return x >= 0.1 ? Number(x.toFixed(2)) : Number(x.toPrecision(2));
}

export async function benchBackends(opts: {
  quick: boolean;
  torch: TorchPeer | null;
  log: (line: string) => void;
  /** Only these networks (default: every one the plan times on a backend). */
  networks?: readonly BenchNet[];
  /** Only these backends (default: wasm, cpu, tensorflow, webgpu). */
  backends?: readonly BackendChoice[];
}): Promise<{ sections: BackendSection[]; unavailable: { backend: string; reason: string }[] }> {
  const sections: BackendSection[] = [];
  const unavailable: { backend: string; reason: string }[] = [];
  const nets = BENCH_NETS.filter((n) => !opts.networks || opts.networks.includes(n));
  // webgpu forced: a software adapter too (it is named in the section's detail), as auto would never pick it.
  for (const choice of (['wasm', 'cpu', 'tensorflow', 'webgpu'] as BackendChoice[]).filter((b) => !opts.backends || opts.backends.includes(b))) {
    let info;
    try {
      info = await initBackend(choice);
    } catch (err) {
      unavailable.push({ backend: choice, reason: (err as Error).message });
      opts.log(`${choice}: not available (${(err as Error).message})`);
      continue;
    }
    const threads = choice === 'tensorflow' ? availableParallelism() : 1;
    const big = choice === 'cpu' ? { calls: 1, rounds: opts.quick ? 1 : 2 } : { calls: 5, rounds: 3 };
    const small = choice === 'cpu' ? { calls: 5, rounds: 2 } : { calls: 100, rounds: 3 };
    // The ceilings are what the LeNet-300-100 row is compared with: measured when that row is.
    const matmul: MatMulCeiling[] = [];
    if (nets.includes('lenet300')) {
      opts.log(`${info.name}: matMul ceiling`);
      matmul.push(
        await matMulCeiling('1024x1024 . 1024x1024', 1024, 1024, 1024, big.calls, big.rounds),
        await matMulCeiling('W^T[300,784] . a^T[784,60] (LeNet layer 1)', 300, 784, 60, small.calls, small.rounds),
      );
    }
    const rows: TrainingRow[] = [];
    // On a GPU machine the webgpu rows are compared with PyTorch on that GPU (CUDA), the others with PyTorch on the CPU.
    const torchDevice: 'cpu' | 'cuda' = choice === 'webgpu' && opts.torch?.cuda ? 'cuda' : 'cpu';
    for (const net of nets) {
      const p = plan(choice, net, opts.quick, info.adapter?.software === true);
      if (!p) continue;
      const data = benchData(net);
      const batch = batchOf(net);
      const lthMs: number[] = [];
      const lthSteps: number[] = [];
      const torchMs: number[] = [];
      let zeroOk = true;
      for (let r = 0; r < p.rounds; r++) {
        // Interleaved, so both see the same load: torch, lth, torch, lth...
        if (opts.torch) {
          // PyTorch warms up one step at least: its steps are short.
          const t = await opts.torch.chunk(net, Math.max(1, p.warmup), p.steps, threads, torchDevice);
          torchMs.push(t.msPerStep);
          zeroOk &&= t.prunedExactlyZero;
        }
        const c = await lthChunk(net, data, p.warmup, p.steps, p.budgetMs);
        lthMs.push(c.msPerStep);
        lthSteps.push(c.steps);
        opts.log(`${info.name} ${net} chunk ${r + 1}/${p.rounds}: lth ${c.msPerStep.toFixed(2)} ms/step over ${c.steps} steps${opts.torch ? `, torch ${torchMs.at(-1)!.toFixed(2)} ms/step over ${p.steps}` : ''}`);
      }
      const lth = rateOf(lthMs, batch, lthSteps);
      const torch = torchMs.length
        ? { ...rateOf(torchMs, batch, torchMs.map(() => p.steps)), threads, prunedExactlyZero: zeroOk, device: torchDevice === 'cuda' ? `cuda (${opts.torch!.cuda})` : 'cpu' }
        : null;
      const row: TrainingRow = {
        network: net,
        batch,
        lth,
        torch,
        ratio: torch ? ratioOf(torch.msPerStep, lth.msPerStep) : null,
        ratioMedian: torch ? ratioOf(1000 / torch.medianStepsPerSec, 1000 / lth.medianStepsPerSec) : null,
      };
      if (net === 'lenet300' && matmul.length === 2) {
        const gflops = (lth.stepsPerSec * LENET_STEP_FLOPS) / 1e9;
        row.gflops = Number(gflops.toFixed(2));
        row.fractionOf1024 = Number((gflops / matmul[0]!.gflops).toFixed(3));
        row.fractionOfLayer1 = Number((gflops / matmul[1]!.gflops).toFixed(3));
      }
      rows.push(row);
    }
    sections.push({ backend: info.name, detail: info.detail, threads, matmul, rows });
  }
  return { sections, unavailable };
}
