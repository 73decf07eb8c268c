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
 * packing wins (one set of dispatches per step for R runs; on a software adapter too), and on tfjs-node's GPU build
 * a batched matMul is one CUDA kernel; on single-threaded wasm each run's matMuls stay separate XNNPACK calls and the
 * larger stacked working set made packs slower than one run after another, and on the plain cpu backend
 * arithmetic is everything: 'auto' does not pack there. Conv networks are never packed (dense layers only).
 */
export function shouldPack(choice: PackChoice, backend: BackendName, plan: NetworkPlan): boolean {
  if (choice === 'off' || !packedSupported(plan)) return false;
  if (choice === 'on') return true;
  return backend === 'webgpu' || backend === 'tensorflow-gpu';
}
