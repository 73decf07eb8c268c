import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import type { BackendName, GpuAdapterInfo } from '../../../shared/results';
import { explainTfjsNodeGpu, initBackend, isInstalled, releaseBackend, visibleNvidiaGpu } from '../backend';
import { describeAdapter, probeWebgpu } from './webgpu';

/** What `lth doctor` says about one backend. */
export interface BackendDiagnosis {
  name: BackendName;
  loads: boolean;
  /** The device it would train on when it loads; why not in one line when it does not. */
  detail: string;
  adapter?: GpuAdapterInfo;
  /** Largest |difference| from the cpu backend on a 64x64 matMul, when it loads and was checked. */
  checkVsCpu?: number;
  /** Further lines (routes tried, what auto does with it). */
  notes: string[];
}

export interface Diagnosis {
  backends: BackendDiagnosis[];
  /** What `--backend auto` picks here, and why the ones before it were passed over. */
  auto: { backend: BackendName; why: string };
}

const nodeRequire = createRequire(import.meta.url);

function tryRequire(moduleName: string): string | null {
  try {
    nodeRequire(moduleName);
    return null;
  } catch (err) {
    return (err as Error).message.split('\n')[0] ?? 'failed to load';
  }
}

/** Loads a tfjs backend in this process and checks one matMul against the cpu backend. */
async function loadAndCheck(choice: 'webgpu' | 'wasm' | 'cpu'): Promise<{ detail: string; adapter?: GpuAdapterInfo; diff: number } | string> {
  try {
    const aValues = Float32Array.from({ length: 64 * 64 }, (_, i) => Math.sin(i * 12.9898) * 0.9);
    await initBackend('cpu');
    const ref = tf.tidy(() => tf.matMul(tf.tensor2d(aValues, [64, 64]), tf.tensor2d(aValues, [64, 64])));
    const refValues = await ref.data();
    ref.dispose();
    const info = await initBackend(choice);
    const out = tf.tidy(() => tf.matMul(tf.tensor2d(aValues, [64, 64]), tf.tensor2d(aValues, [64, 64])));
    const values = await out.data();
    out.dispose();
    let diff = 0;
    for (let i = 0; i < values.length; i++) diff = Math.max(diff, Math.abs(values[i]! - refValues[i]!));
    return { detail: info.detail, adapter: info.adapter, diff };
  } catch (err) {
    return (err as Error).message.replace(/^the \w+ backend cannot load: /, '');
  }
}

export async function diagnoseBackends(): Promise<Diagnosis> {
  const out: BackendDiagnosis[] = [];

  // tensorflow-gpu: installed, a GPU to use, and its binding loads.
  const gpu = visibleNvidiaGpu();
  let gpuBindingLoaded = false;
  if (!isInstalled('@tensorflow/tfjs-node-gpu')) {
    out.push({ name: 'tensorflow-gpu', loads: false, detail: '@tensorflow/tfjs-node-gpu is not installed (its install downloads libtensorflow 2.9.1; Linux x64 only, CUDA 11.2 + cuDNN 8.1)', notes: [] });
  } else if (!gpu.visible) {
    out.push({ name: 'tensorflow-gpu', loads: false, detail: `@tensorflow/tfjs-node-gpu is installed but ${gpu.why}: it would run on the CPU, so it is not used`, notes: [] });
  } else {
    const err = tryRequire('@tensorflow/tfjs-node-gpu');
    gpuBindingLoaded = !err;
    out.push(
      err
        ? { name: 'tensorflow-gpu', loads: false, detail: `@tensorflow/tfjs-node-gpu is installed but failed to load: ${explainTfjsNodeGpu(err)}`, notes: [`GPU: ${gpu.why}`] }
        : { name: 'tensorflow-gpu', loads: true, detail: `@tensorflow/tfjs-node-gpu (CUDA) on ${gpu.why}`, notes: ['tfjs-node-gpu 4.22 runs TensorFlow 2.9.1: CUDA 11.2 and cuDNN 8.1 exactly'] },
    );
  }

  // tensorflow-cpu
  if (!isInstalled('@tensorflow/tfjs-node')) {
    out.push({ name: 'tensorflow-cpu', loads: false, detail: '@tensorflow/tfjs-node is not installed (its install downloads libtensorflow)', notes: [] });
  } else if (gpuBindingLoaded) {
    out.push({ name: 'tensorflow-cpu', loads: false, detail: 'not checked: tfjs-node-gpu already registered the tensorflow backend in this process', notes: [] });
  } else {
    const err = tryRequire('@tensorflow/tfjs-node');
    out.push(err ? { name: 'tensorflow-cpu', loads: false, detail: `@tensorflow/tfjs-node failed to load: ${err}`, notes: [] } : { name: 'tensorflow-cpu', loads: true, detail: '@tensorflow/tfjs-node (libtensorflow CPU)', notes: [] });
  }

  // webgpu: which adapter each route gives, then a real device and a kernel on it.
  const probe = await probeWebgpu(true);
  if (!probe.found) {
    out.push({ name: 'webgpu', loads: false, detail: `no WebGPU adapter: ${probe.reasons.join('; ')}`, notes: [] });
  } else {
    const r = await loadAndCheck('webgpu');
    const notes = [...probe.reasons.map((x) => `not used: ${x}`)];
    if (probe.found.software) notes.push('software adapter: correct but slow; auto never picks it, --backend webgpu does');
    out.push(
      typeof r === 'string'
        ? { name: 'webgpu', loads: false, detail: `adapter ${describeAdapter(probe.found)}, but: ${r}`, adapter: probe.found, notes }
        : { name: 'webgpu', loads: true, detail: r.detail, adapter: r.adapter ?? probe.found, checkVsCpu: r.diff, notes },
    );
  }

  for (const name of ['wasm', 'cpu'] as const) {
    const r = await loadAndCheck(name);
    out.push(typeof r === 'string' ? { name, loads: false, detail: r, notes: [] } : { name, loads: true, detail: r.detail, checkVsCpu: name === 'cpu' ? undefined : r.diff, notes: [] });
  }
  releaseBackend();

  const by = (n: BackendName) => out.find((b) => b.name === n)!;
  const passed: string[] = [];
  let pick: BackendName = 'cpu';
  for (const n of ['tensorflow-gpu', 'webgpu', 'tensorflow-cpu', 'wasm', 'cpu'] as BackendName[]) {
    const b = by(n);
    if (b.loads && !(n === 'webgpu' && b.adapter?.software)) {
      pick = n;
      break;
    }
    passed.push(`${n}: ${b.loads ? 'software adapter only' : 'does not load'}`);
  }
  return { backends: out, auto: { backend: pick, why: passed.length ? `passed over ${passed.join('; ')}` : 'the first in the order loads' } };
}

/** For a Linux desktop: what makes WebGPU available in Electron's Chromium (issue 10). */
export const DESKTOP_WEBGPU_HINT =
  process.platform === 'linux'
    ? 'desktop app on Linux: Chromium enables WebGPU by default from version 147 for NVIDIA (driver >= 535) and 144 for Intel Gen12+; elsewhere it needs --enable-unsafe-webgpu --enable-features=Vulkan and a Vulkan driver (mesa-vulkan-drivers, or the GPU vendor\'s)'
    : process.platform === 'win32' || process.platform === 'darwin'
      ? "desktop app: Electron's Chromium has WebGPU on by default on this platform"
      : '';
