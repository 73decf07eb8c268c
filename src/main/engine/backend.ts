import * as tf from '@tensorflow/tfjs-core';
// The union package registers every op's gradient (tfjs-core's CJS build ships none) and the cpu backend,
// on the one shared tfjs-core that tfjs-node(-gpu) also registers into.
import '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { BackendInfo } from './types';

export type BackendChoice = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

export class BackendError extends Error {
  override name = 'BackendError';
}

let active: BackendInfo | null = null;
// Works from the vitest ESM sources and the tsup CJS bundle alike (tsup shims import.meta.url).
const nodeRequire = createRequire(import.meta.url);

/** tfjs-node-gpu falls back to CPU kernels silently, so a visible NVIDIA device is checked before choosing it. */
function visibleNvidiaGpu(): boolean {
  const visible = process.env.CUDA_VISIBLE_DEVICES;
  if (visible !== undefined && (visible.trim() === '' || visible.trim() === '-1')) return false;
  try {
    if (existsSync('/proc/driver/nvidia/gpus') && readdirSync('/proc/driver/nvidia/gpus').length > 0) return true;
  } catch {
    /* fall through to nvidia-smi */
  }
  try {
    return /GPU \d+:/.test(execFileSync('nvidia-smi', ['-L'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] }));
  } catch {
    return false;
  }
}

/** Loads a native TensorFlow binding; each registers the 'tensorflow' backend into the shared tfjs-core. */
function tryRequire(moduleName: string): string | null {
  try {
    nodeRequire(moduleName);
    return null;
  } catch (err) {
    return (err as Error).message.split('\n')[0] ?? 'failed to load';
  }
}

async function useTensorflow(): Promise<BackendInfo> {
  const problems: string[] = [];
  if (visibleNvidiaGpu()) {
    const err = tryRequire('@tensorflow/tfjs-node-gpu');
    if (!err && (await tf.setBackend('tensorflow'))) {
      return { name: 'tensorflow-gpu', tfBackend: 'tensorflow', detail: '@tensorflow/tfjs-node-gpu (CUDA)' };
    }
    problems.push(`@tensorflow/tfjs-node-gpu: ${err ?? 'backend did not initialise'}`);
  } else {
    problems.push('@tensorflow/tfjs-node-gpu: no visible NVIDIA GPU');
  }
  const err = tryRequire('@tensorflow/tfjs-node');
  if (!err && (await tf.setBackend('tensorflow'))) {
    return { name: 'tensorflow-cpu', tfBackend: 'tensorflow', detail: '@tensorflow/tfjs-node (libtensorflow CPU)' };
  }
  problems.push(`@tensorflow/tfjs-node: ${err ?? 'backend did not initialise'}`);
  throw new BackendError(`the tensorflow backend cannot load: ${problems.join('; ')}`);
}

function wasmDir(): string {
  return path.dirname(nodeRequire.resolve('@tensorflow/tfjs-backend-wasm/package.json')) + '/dist/';
}

async function useWasm(): Promise<BackendInfo> {
  // Node has no fetch of local files: point the loader at the .wasm files inside the npm package
  // (unpacked from the asar in the packaged app).
  setWasmPaths(wasmDir());
  let ok = false;
  try {
    ok = await tf.setBackend('wasm');
  } catch (err) {
    throw new BackendError(`the wasm backend cannot load: ${(err as Error).message}`);
  }
  if (!ok) throw new BackendError('the wasm backend cannot load: tf.setBackend("wasm") returned false');
  return { name: 'wasm', tfBackend: 'wasm', detail: '@tensorflow/tfjs-backend-wasm (SIMD, single thread)' };
}

async function useCpu(): Promise<BackendInfo> {
  if (!(await tf.setBackend('cpu'))) throw new BackendError('the cpu backend cannot load');
  return { name: 'cpu', tfBackend: 'cpu', detail: '@tensorflow/tfjs-backend-cpu (plain JavaScript)' };
}

/**
 * Picks the fastest backend that loads: tfjs-node-gpu with a visible GPU, tfjs-node, wasm, then cpu.
 * A forced choice fails with a BackendError instead of falling back, so a run never silently changes backend.
 */
export async function initBackend(choice: BackendChoice = 'auto'): Promise<BackendInfo> {
  if (active && (choice === 'auto' || active.tfBackend === choice)) return active;
  let info: BackendInfo;
  switch (choice) {
    case 'tensorflow':
      info = await useTensorflow();
      break;
    case 'wasm':
      info = await useWasm();
      break;
    case 'cpu':
      info = await useCpu();
      break;
    case 'auto': {
      const attempts = [useTensorflow, useWasm, useCpu];
      let found: BackendInfo | null = null;
      for (const attempt of attempts) {
        try {
          found = await attempt();
          break;
        } catch {
          /* next */
        }
      }
      if (!found) throw new BackendError('no TensorFlow.js backend could load');
      info = found;
      break;
    }
    default:
      throw new BackendError(`unknown backend '${String(choice)}': use one of ${BACKEND_CHOICES.join(', ')}`);
  }
  await tf.ready();
  active = info;
  return info;
}

export function activeBackend(): BackendInfo | null {
  return active;
}

export const TFJS_VERSION: string = tf.version_core;
