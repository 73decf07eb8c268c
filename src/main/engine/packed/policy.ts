import type { BackendName } from '../../../shared/results';
import type { NetworkPlan } from '../network';
import { packedSupported } from './packed-model';

/** `--pack` / LTH_PACK: 'auto' packs where the bench says it pays, 'on' wherever the network allows, 'off' never. */
export type PackChoice = 'auto' | 'on' | 'off';
export const PACK_CHOICES: readonly PackChoice[] = ['auto', 'on', 'off'];

export function packChoiceFromEnv(env: NodeJS.ProcessEnv = process.env): PackChoice {
  const v = (env.LTH_PACK ?? 'auto').toLowerCase();
  if (!(PACK_CHOICES as readonly string[]).includes(v)) throw new Error(`LTH_PACK: unknown value '${env.LTH_PACK}': use one of ${PACK_CHOICES.join(', ')}`);
  return v as PackChoice;
}

/**
 * Whether an experiment trains its ready runs as packs. Measured (BENCHMARKS.md, "Packed training"): on WebGPU
 * packing wins (one set of dispatches per step for R runs; 1.5x at R = 15 even on a CPU-bound software adapter), and
 * on tfjs-node's GPU build a batched matMul is one CUDA kernel (not measured: no GPU here). On single-threaded wasm
 * each run's matMuls must stay separate XNNPACK calls (slice copies around them) and the optimizer's ops over
 * [R, ...] stacks leave the cache: packs measured 0.4-0.8x the run-steps/s of one run after another and the small
 * IMP experiment 1.8x slower (CPU time per run-step +30% at R = 1, +85% at R = 5), so 'auto' does not pack there
 * nor on the plain cpu backend. Conv networks are never packed (dense layers only).
 */
export function shouldPack(choice: PackChoice, backend: BackendName, plan: NetworkPlan): boolean {
  if (choice === 'off' || !packedSupported(plan)) return false;
  if (choice === 'on') return true;
  return backend === 'webgpu' || backend === 'tensorflow-gpu';
}
