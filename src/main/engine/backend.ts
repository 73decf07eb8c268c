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
import { describeAdapter, registerWebgpu, releaseWebgpu, webgpuDeviceLost } from './backends/webgpu';

export type BackendChoice = 'auto' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'];

export class BackendError extends Error {
  override name = 'BackendError';
}

// tfjs-backend-cpu greets Node users on its first tensor with a console banner telling them to install tfjs-node:
// `lth doctor` says what each backend is and how to get a faster one, in its own words. The banner is printed only
// while the backend's firstUse flag is set (backend_cpu.js write()), so the cpu backend is made once here without it.
const cpuBackend = tf.findBackend('cpu') as { firstUse?: boolean } | null;
if (cpuBackend && 'firstUse' in cpuBackend) cpuBackend.firstUse = false;

let active: BackendInfo | null = null;
// Works from the vitest ESM sources and the tsup CJS bundle alike (tsup shims import.meta.url).
const nodeRequire = createRequire(import.meta.url);

/** tfjs-node-gpu falls back to CPU kernels silently, so a visible NVIDIA device is checked before choosing it. */
export function visibleNvidiaGpu(): { visible: boolean; why: string } {
  const visible = process.env.CUDA_VISIBLE_DEVICES;
  if (visible !== undefined && (visible.trim() === '' || visible.trim() === '-1')) return { visible: false, why: `CUDA_VISIBLE_DEVICES='${visible}' hides every GPU` };
  try {
    if (existsSync('/proc/driver/nvidia/gpus') && readdirSync('/proc/driver/nvidia/gpus').length > 0) return { visible: true, why: '/proc/driver/nvidia/gpus' };
  } catch {
    /* fall through to nvidia-smi */
  }
  try {
    const out = execFileSync('nvidia-smi', ['-L'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
    const first = /GPU \d+:[^\n]*/.exec(out);
    if (first) return { visible: true, why: first[0].trim() };
  } catch {
    /* no driver */
  }
  return { visible: false, why: 'no NVIDIA GPU visible (no /proc/driver/nvidia/gpus, nvidia-smi absent or lists none)' };
}

export function isInstalled(moduleName: string): boolean {
  try {
    nodeRequire.resolve(`${moduleName}/package.json`);
    return true;
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

/** One line on why tfjs-node-gpu did not load, with what it needs when the message alone would not say. */
export function explainTfjsNodeGpu(message: string): string {
  if (/libcudart|libcudnn|libcublas|libcufft|libcurand|libcusolver|libcusparse|cuda/i.test(message)) {
    return `${message} (tfjs-node-gpu 4.22 runs TensorFlow 2.9.1, which needs exactly CUDA 11.2 and cuDNN 8.1; CUDA 12 does not work)`;
  }
  if (/NODE_MODULE_VERSION|compiled against a different Node\.js version|napi/i.test(message)) {
    return `${message} (tfjs-node-gpu 4.22 has no prebuilt binding for Node ${process.versions.node})`;
  }
  return message;
}

async function tensorflowGpu(): Promise<BackendInfo> {
  const gpu = visibleNvidiaGpu();
  if (!gpu.visible) throw new BackendError(`@tensorflow/tfjs-node-gpu: ${gpu.why}`);
  if (!isInstalled('@tensorflow/tfjs-node-gpu')) throw new BackendError('@tensorflow/tfjs-node-gpu is not installed (its install needs to download libtensorflow)');
  const err = tryRequire('@tensorflow/tfjs-node-gpu');
  if (err) throw new BackendError(`@tensorflow/tfjs-node-gpu is installed but failed to load: ${explainTfjsNodeGpu(err)}`, { cause: 'gpu-failed' });
  if (!(await tf.setBackend('tensorflow'))) throw new BackendError('@tensorflow/tfjs-node-gpu is installed but its backend did not initialise', { cause: 'gpu-failed' });
  return { name: 'tensorflow-gpu', tfBackend: 'tensorflow', detail: `@tensorflow/tfjs-node-gpu (CUDA) on ${gpu.why}` };
}

async function tensorflowCpu(): Promise<BackendInfo> {
  if (!isInstalled('@tensorflow/tfjs-node')) throw new BackendError('@tensorflow/tfjs-node is not installed (its install needs to download libtensorflow)');
  const err = tryRequire('@tensorflow/tfjs-node');
  if (err) throw new BackendError(`@tensorflow/tfjs-node failed to load: ${err}`);
  if (!(await tf.setBackend('tensorflow'))) throw new BackendError('@tensorflow/tfjs-node: backend did not initialise');
  return { name: 'tensorflow-cpu', tfBackend: 'tensorflow', detail: '@tensorflow/tfjs-node (libtensorflow CPU)' };
}

/** A tfjs-node-gpu that is installed and has a GPU to use but failed: never silent (issue 9, defect 7). */
function gpuFailure(err: unknown): string | null {
  return err instanceof BackendError && err.cause === 'gpu-failed' ? err.message : null;
}

async function useTensorflow(): Promise<BackendInfo> {
  let note: string | null = null;
  const problems: string[] = [];
  try {
    return await tensorflowGpu();
  } catch (err) {
    note = gpuFailure(err);
    problems.push((err as Error).message);
  }
  try {
    const info = await tensorflowCpu();
    return note ? { ...info, note: `${note}; training on ${info.name} instead` } : info;
  } catch (err) {
    problems.push((err as Error).message);
  }
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
 * WebGPU through Dawn's Node binding. `allowSoftware`: a forced --backend webgpu takes any adapter that works,
 * software ones included (Vulkan first, then OpenGL ES); auto takes only a hardware adapter.
 */
async function useWebgpu(allowSoftware: boolean): Promise<BackendInfo> {
  let gpu;
  try {
    gpu = await registerWebgpu(allowSoftware);
  } catch (err) {
    throw new BackendError(`the webgpu backend cannot load: ${(err as Error).message}`);
  }
  // WEBGPU_CPU_FORWARD=false (tests) runs every kernel on the GPU, the small ones tfjs would otherwise do on the CPU.
  const forward = process.env.WEBGPU_CPU_FORWARD;
  if (forward === 'false' || forward === 'true') tf.env().set('WEBGPU_CPU_FORWARD', forward === 'true');
  let ok = false;
  try {
    ok = await tf.setBackend('webgpu');
  } catch (err) {
    throw new BackendError(`the webgpu backend cannot load: ${(err as Error).message}`);
  }
  if (!ok) throw new BackendError(`the webgpu backend cannot load on ${describeAdapter(gpu.info)}: tf.setBackend("webgpu") returned false`);
  return {
    name: 'webgpu',
    tfBackend: 'webgpu',
    detail: `WebGPU on ${describeAdapter(gpu.info)}${gpu.compatibility ? ', compatibility mode' : ''}`,
    adapter: gpu.info,
  };
}

/**
 * Picks the fastest backend that loads: tfjs-node-gpu with a visible GPU, WebGPU on a hardware adapter,
 * tfjs-node, wasm, then cpu. A forced choice fails with a BackendError instead of falling back to another
 * backend, so a run never silently changes backend; a tfjs-node-gpu that is installed but fails is reported
 * in the returned `note` with what was used instead.
 */
export async function initBackend(choice: BackendChoice = 'auto'): Promise<BackendInfo> {
  // A lost WebGPU device is never reused: the next run gets a fresh one (or another backend under auto).
  if (active?.tfBackend === 'webgpu' && webgpuDeviceLost()) active = null;
  if (active && (choice === 'auto' || active.tfBackend === choice)) return active;
  let info: BackendInfo;
  switch (choice) {
    case 'tensorflow':
      info = await useTensorflow();
      break;
    case 'webgpu':
      info = await useWebgpu(true);
      break;
    case 'wasm':
      info = await useWasm();
      break;
    case 'cpu':
      info = await useCpu();
      break;
    case 'auto': {
      const attempts = [tensorflowGpu, () => useWebgpu(false), tensorflowCpu, useWasm, useCpu];
      let found: BackendInfo | null = null;
      let note: string | null = null;
      for (const attempt of attempts) {
        try {
          found = await attempt();
          break;
        } catch (err) {
          note ??= gpuFailure(err);
        }
      }
      if (!found) throw new BackendError('no TensorFlow.js backend could load');
      info = note ? { ...found, note: `${note}; training on ${found.name} instead` } : found;
      break;
    }
    default:
      throw new BackendError(`unknown backend '${String(choice)}': use one of ${BACKEND_CHOICES.join(', ')}`);
  }
  await tf.ready();
  active = info;
  return info;
}

/**
 * What initBackend(choice) picks, for a process that reports the backend but trains in child processes
 * (lth serve, the desktop app's main process): a WebGPU device made to find out is destroyed again.
 */
export async function describeBackend(choice: BackendChoice = 'auto'): Promise<BackendInfo> {
  const info = await initBackend(choice);
  if (info.tfBackend === 'webgpu') {
    releaseBackend();
    await tf.setBackend('cpu');
  }
  return info;
}

/** Lets the process exit: destroys a WebGPU device (its handle would keep Node's event loop alive). */
export function releaseBackend(): void {
  if (active?.tfBackend === 'webgpu') active = null;
  releaseWebgpu();
}

export function activeBackend(): BackendInfo | null {
  return active;
}

export const TFJS_VERSION: string = tf.version_core;
