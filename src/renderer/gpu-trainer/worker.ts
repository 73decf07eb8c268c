/**
 * The desktop app's WebGPU trainer: a dedicated Web Worker (no Node, sandboxed window) that serves the engine's
 * one trainer (trainRun) over the MessagePort main gave it. tfjs's union bundle brings every gradient and the
 * cpu backend; tfjs-backend-webgpu registers 'webgpu' on the worker's own navigator.gpu.
 */
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import * as tf from '@tensorflow/tfjs-core';
import { serveTrainer, type HostBackend } from '../../main/electron/gpu-trainer/host';
import type { TrainerPort } from '../../main/electron/gpu-trainer/protocol';
import type { GpuAdapterInfo } from '../../shared/results';

interface WorkerScope {
  navigator: { gpu?: unknown; userAgent: string };
  addEventListener(type: 'message', listener: (e: MessageEvent) => void): void;
}
const scope = self as unknown as WorkerScope;

const SOFTWARE = /llvmpipe|lavapipe|swiftshader|softpipe|software|microsoft basic render/i;

async function loadWebgpu(): Promise<HostBackend> {
  if (!scope.navigator.gpu) {
    throw new Error(
      `WebGPU is not available in this window (${scope.navigator.userAgent}). On Linux, Chromium enables it by default from version 147 for NVIDIA (driver >= 535) and 144 for Intel Gen12+; otherwise start the app with --enable-unsafe-webgpu --enable-features=Vulkan and install a Vulkan driver`,
    );
  }
  if (!(await tf.setBackend('webgpu'))) throw new Error('tf.setBackend("webgpu") returned false: no WebGPU adapter or device');
  await tf.ready();
  const info = (tf.backend() as unknown as { adapterInfo?: { vendor?: string; architecture?: string } }).adapterInfo ?? {};
  const adapter: GpuAdapterInfo = {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: '',
    description: '',
    fallback: false,
    software: SOFTWARE.test(`${info.vendor ?? ''} ${info.architecture ?? ''}`),
    route: 'browser',
  };
  const name = [adapter.vendor, adapter.architecture].filter(Boolean).join(' ') || 'unnamed adapter';
  return { backend: 'webgpu', detail: `WebGPU (Chromium) on ${name}${adapter.software ? ', software adapter' : ''}`, adapter };
}

function wrap(port: MessagePort): TrainerPort {
  return {
    postMessage: (m, transfer) => port.postMessage(m, transfer ?? []),
    onMessage: (listener) => port.addEventListener('message', (e: MessageEvent) => listener(e.data)),
    close: () => port.close(),
  };
}

let served = false;
scope.addEventListener('message', (e: MessageEvent) => {
  const port = e.ports[0];
  if (served || (e.data as { type?: string } | null)?.type !== 'port' || !port) return;
  served = true;
  serveTrainer(wrap(port), loadWebgpu);
  port.start();
});
