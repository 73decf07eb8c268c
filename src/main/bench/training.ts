import { availableParallelism } from 'node:os';
import { initBackend, type BackendChoice } from '../engine/backend';
import { matMulCeiling, type MatMulCeiling } from './matmul';
import { BENCH_NETS, benchData, LENET_STEP_FLOPS, type BenchNet } from './networks';
import { lthChunk, rateOf, type Rate } from './throughput';
import type { TorchPeer } from './torch-peer';

export interface TrainingRow {
  network: BenchNet;
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
  steps: number;
  rounds: number;
}

/** Chunk sizes per backend and network: about a second or more of training per chunk, fewer where a step is slow. */
function plan(backend: string, net: BenchNet, quick: boolean): ChunkPlan | null {
  if (backend === 'webgpu') {
    // A hardware GPU is fast, a software adapter slow (~65 ms per LeNet step): sized for the slow case, as
    // the first steps pay for shader compilation.
    if (net === 'lenet300') return quick ? { warmup: 10, steps: 30, rounds: 2 } : { warmup: 20, steps: 100, rounds: 3 };
    return quick ? { warmup: 2, steps: 3, rounds: 1 } : { warmup: 2, steps: 10, rounds: 3 };
  }
  const fast = backend === 'wasm' || backend === 'tensorflow';
  if (net === 'lenet300') {
    if (fast) return quick ? { warmup: 20, steps: 100, rounds: 2 } : { warmup: 20, steps: 300, rounds: 5 };
    return quick ? { warmup: 2, steps: 4, rounds: 1 } : { warmup: 2, steps: 12, rounds: 3 };
  }
  if (fast) return quick ? { warmup: 1, steps: 2, rounds: 1 } : { warmup: 1, steps: 4, rounds: 3 };
  return quick ? null : { warmup: 1, steps: 2, rounds: 1 };
}

export async function benchBackends(opts: {
  quick: boolean;
  torch: TorchPeer | null;
  log: (line: string) => void;
}): Promise<{ sections: BackendSection[]; unavailable: { backend: string; reason: string }[] }> {
  const sections: BackendSection[] = [];
  const unavailable: { backend: string; reason: string }[] = [];
  // webgpu forced: a software adapter too (it is named in the section's detail), as auto would never pick it.
  for (const choice of ['wasm', 'cpu', 'tensorflow', 'webgpu'] as BackendChoice[]) {
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
    opts.log(`${info.name}: matMul ceiling`);
    const matmul = [
      await matMulCeiling('1024x1024 . 1024x1024', 1024, 1024, 1024, big.calls, big.rounds),
      await matMulCeiling('W^T[300,784] . a^T[784,60] (LeNet layer 1)', 300, 784, 60, small.calls, small.rounds),
    ];
    const rows: TrainingRow[] = [];
    // On a GPU machine the webgpu rows are compared with PyTorch on that GPU (CUDA), the others with PyTorch on the CPU.
    const torchDevice: 'cpu' | 'cuda' = choice === 'webgpu' && opts.torch?.cuda ? 'cuda' : 'cpu';
    for (const net of BENCH_NETS) {
      const p = plan(choice, net, opts.quick);
      if (!p) continue;
      const data = benchData(net);
      const lthMs: number[] = [];
      const torchMs: number[] = [];
      let zeroOk = true;
      for (let r = 0; r < p.rounds; r++) {
        // Interleaved, so both see the same load: torch, lth, torch, lth...
        if (opts.torch) {
          const t = await opts.torch.chunk(net, p.warmup, p.steps, threads, torchDevice);
          torchMs.push(t.msPerStep);
          zeroOk &&= t.prunedExactlyZero;
        }
        lthMs.push(await lthChunk(net, data, p.warmup, p.steps));
        opts.log(`${info.name} ${net} chunk ${r + 1}/${p.rounds}: lth ${lthMs.at(-1)!.toFixed(2)} ms/step${opts.torch ? `, torch ${torchMs.at(-1)!.toFixed(2)} ms/step` : ''}`);
      }
      const lth = rateOf(lthMs);
      const torch = torchMs.length ? { ...rateOf(torchMs), threads, prunedExactlyZero: zeroOk, device: torchDevice === 'cuda' ? `cuda (${opts.torch!.cuda})` : 'cpu' } : null;
      const row: TrainingRow = {
        network: net,
        lth,
        torch,
        ratio: torch ? Number((lth.stepsPerSec / torch.stepsPerSec).toFixed(2)) : null,
        ratioMedian: torch ? Number((lth.medianStepsPerSec / torch.medianStepsPerSec).toFixed(2)) : null,
      };
      if (net === 'lenet300') {
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
