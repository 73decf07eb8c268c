import * as tf from '@tensorflow/tfjs-core';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { GpuAdapterInfo } from '../../../shared/results';

/**
 * WebGPU in plain Node through Dawn's Node binding (npm `webgpu`, an optionalDependency) and
 * @tensorflow/tfjs-backend-webgpu. Loaded only by a process that trains with it: nothing here runs at import.
 *
 * Routes, in order:
 * - 'native': Dawn's platform backend (Vulkan on Linux, Metal on macOS, D3D12 on Windows), core feature level;
 * - 'opengles' (Linux, only when software adapters are allowed): Dawn's OpenGL ES backend on EGL with
 *   EGL_PLATFORM=surfaceless and a compatibility-mode adapter. With Mesa this is llvmpipe (software): it is how
 *   the lab trains on WebGPU on a machine with no GPU (tests, CI), never what `auto` picks.
 */

export class WebgpuUnavailable extends Error {
  override name = 'WebgpuUnavailable';
}

/** Lost mid-run (driver reset, GPU removed, or the device destroyed under the trainer). */
export class GpuDeviceLost extends Error {
  override name = 'GpuDeviceLost';
}

type Route = 'native' | 'opengles';

interface Found {
  gpu: GPU;
  adapter: GPUAdapter;
  info: GpuAdapterInfo;
  compatibility: boolean;
}

export interface AdapterProbe {
  found: GpuAdapterInfo | null;
  /** One line per route that gave no usable adapter, and why. */
  reasons: string[];
}

const SOFTWARE = /llvmpipe|lavapipe|swiftshader|softpipe|software|microsoft basic render/i;

export function isSoftwareAdapter(info: Pick<GpuAdapterInfo, 'vendor' | 'architecture' | 'device' | 'description' | 'fallback'>): boolean {
  return info.fallback || [info.vendor, info.architecture, info.device, info.description].some((s) => SOFTWARE.test(s));
}

/** "llvmpipe-llvm-15-0-6-256-bits (OpenGL ES 3.2 Mesa 22.3.6) via Dawn opengles, software adapter" */
export function describeAdapter(a: GpuAdapterInfo): string {
  const name = [a.vendor, a.architecture].filter(Boolean).join(' ') || a.device || 'unnamed adapter';
  const extra = [a.vendor || a.architecture ? a.device : '', a.description].filter((s) => s && s !== name);
  return `${name}${extra.length ? ` (${extra.join('; ')})` : ''} via Dawn ${a.route}${a.software ? ', software adapter' : ''}`;
}

function nativeRouteName(): string {
  if (process.platform === 'darwin') return 'metal';
  if (process.platform === 'win32') return 'd3d12';
  return 'vulkan';
}

/** Dawn prints a warning and finds nothing when the Vulkan loader is missing; say why ourselves instead. */
function vulkanLoaderPresent(): boolean {
  if (process.platform !== 'linux') return true;
  const dirs = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  if (dirs.some((d) => existsSync(path.join(d, 'libvulkan.so.1')))) return true;
  try {
    const cache = execFileSync('/sbin/ldconfig', ['-p'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
    if (/\blibvulkan\.so\.1\b/.test(cache)) return true;
  } catch {
    /* no ldconfig: look in the usual places */
  }
  return ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib'].some((d) => existsSync(path.join(d, 'libvulkan.so.1')));
}

interface DawnModule {
  create(flags: string[]): GPU;
  globals: Record<string, unknown>;
}

let dawn: DawnModule | null = null;

/**
 * Mesa's Vulkan and EGL drivers write to the process's stderr from native code: "XDG_RUNTIME_DIR is invalid or not
 * set" on a server without a login session, and lavapipe's conformance warning. Neither concerns a training run;
 * a private runtime directory and Mesa's own switch keep them off the user's terminal (a user's settings win).
 */
function quietNativeDrivers(): void {
  const dir = process.env.XDG_RUNTIME_DIR;
  let usable = false;
  try {
    usable = !!dir && statSync(dir).isDirectory();
  } catch {
    usable = false;
  }
  if (!usable) {
    // One per user, owner-only as the XDG spec asks, reused by every lab process.
    const own = path.join(tmpdir(), `lth-runtime-${process.getuid?.() ?? 'user'}`);
    try {
      mkdirSync(own, { recursive: true, mode: 0o700 });
      process.env.XDG_RUNTIME_DIR = own;
    } catch {
      /* an unwritable temp dir: Mesa prints its line, nothing worse */
    }
  }
  process.env.MESA_VK_IGNORE_CONFORMANCE_WARNING ??= '1';
}

async function loadDawn(): Promise<DawnModule> {
  if (dawn) return dawn;
  if (process.versions.electron) {
    throw new WebgpuUnavailable("Dawn's Node binding cannot run inside Electron (\"External buffers are not allowed\", dawn-gpu/node-webgpu#5); the desktop app trains on WebGPU in a renderer worker instead");
  }
  quietNativeDrivers();
  let mod: DawnModule;
  try {
    // ESM-only package: a real dynamic import in both the vitest sources and the tsup CJS bundle.
    mod = (await import('webgpu')) as unknown as DawnModule;
  } catch (err) {
    const msg = (err as Error).message.split('\n')[0] ?? '';
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' || /Cannot find (module|package) 'webgpu'/.test(msg)) {
      throw new WebgpuUnavailable("the npm package 'webgpu' (Dawn's Node binding, an optional dependency) is not installed: npm install webgpu");
    }
    throw new WebgpuUnavailable(`the npm package 'webgpu' failed to load: ${msg}`);
  }
  // GPUBufferUsage, GPUMapMode, GPUShaderStage... which tfjs-backend-webgpu reads as globals.
  for (const [k, v] of Object.entries(mod.globals)) {
    if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  }
  dawn = mod;
  return mod;
}

function adapterInfo(adapter: GPUAdapter, route: string): GpuAdapterInfo {
  const i = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const base = {
    vendor: i.vendor ?? '',
    architecture: i.architecture ?? '',
    device: i.device ?? '',
    description: i.description ?? '',
    fallback: Boolean(i.isFallbackAdapter),
    route,
  };
  return { ...base, software: isSoftwareAdapter(base) };
}

async function tryRoute(route: Route): Promise<Found | string> {
  const m = await loadDawn();
  if (route === 'native') {
    const name = process.env.DAWNNODE_BACKEND || nativeRouteName();
    if (name === 'vulkan' && !vulkanLoaderPresent()) {
      return 'vulkan: the Vulkan loader libvulkan.so.1 is not installed (Debian/Ubuntu: apt-get install libvulkan1 and the GPU vendor\'s Vulkan driver, or mesa-vulkan-drivers)';
    }
    const gpu = m.create([]);
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) return `${name}: Dawn found no ${name} adapter (no GPU driver with ${name} support)`;
    return { gpu, adapter, info: adapterInfo(adapter, name), compatibility: false };
  }
  if (process.platform !== 'linux') return 'opengles: only used on Linux';
  // Mesa's EGL needs a platform without a display server; the lab sets it for itself so no user setup is needed.
  process.env.EGL_PLATFORM ??= 'surfaceless';
  const gpu = m.create(['backend=opengles']);
  // tfjs asks only for a power preference; Dawn's GLES backend offers compatibility-mode adapters only.
  const adapter = await gpu.requestAdapter({ featureLevel: 'compatibility', powerPreference: 'high-performance' } as GPURequestAdapterOptions);
  if (!adapter) return 'opengles: Dawn found no OpenGL ES adapter (Mesa\'s libEGL/libGLESv2 missing? Debian: apt-get install libegl1 libgles2 libgl1-mesa-dri)';
  return { gpu, adapter, info: adapterInfo(adapter, 'opengles'), compatibility: true };
}

async function findAdapter(allowSoftware: boolean): Promise<{ found: Found | null; reasons: string[] }> {
  const reasons: string[] = [];
  const routes: Route[] = allowSoftware ? ['native', 'opengles'] : ['native'];
  for (const route of routes) {
    let r: Found | string;
    try {
      r = await tryRoute(route);
    } catch (err) {
      if (err instanceof WebgpuUnavailable) return { found: null, reasons: [err.message] };
      r = `${route}: ${(err as Error).message.split('\n')[0]}`;
    }
    if (typeof r === 'string') {
      reasons.push(r);
      continue;
    }
    if (r.info.software && !allowSoftware) {
      reasons.push(`${r.info.route}: only a software adapter (${describeAdapter(r.info)}); auto never picks one, --backend webgpu does`);
      continue;
    }
    return { found: r, reasons };
  }
  return { found: null, reasons };
}

/** What `lth doctor` reports: the adapter `--backend webgpu` would use (software allowed), without creating a device. */
export async function probeWebgpu(allowSoftware: boolean): Promise<AdapterProbe> {
  const { found, reasons } = await findAdapter(allowSoftware);
  return { found: found?.info ?? null, reasons };
}

interface Active {
  device: GPUDevice;
  info: GpuAdapterInfo;
  compatibility: boolean;
}

let active: Active | null = null;
let lost: GPUDeviceLostInfo | null = null;

function lostError(): GpuDeviceLost {
  return new GpuDeviceLost(
    `the GPU device was lost (${lost?.reason ?? 'unknown'}${lost?.message ? `: ${lost.message}` : ''}); this run stopped, finished runs are stored, and \`lth resume\` continues from them`,
  );
}

export function webgpuDeviceLost(): boolean {
  return lost !== null;
}

/** Throws GpuDeviceLost when the active WebGPU device has been lost. */
export function assertDeviceAlive(): void {
  if (lost) throw lostError();
}

/** Simulates a lost device (tests): destroys the device under the trainer. */
export function destroyDeviceForTest(): void {
  active?.device.destroy();
}

export interface WebgpuBackend {
  info: GpuAdapterInfo;
  compatibility: boolean;
}

/**
 * Creates a device on the first adapter that fits and registers tfjs's 'webgpu' backend on it (replacing the
 * factory tfjs-backend-webgpu registers by itself when navigator.gpu exists at import). Does not switch to it.
 */
export async function registerWebgpu(allowSoftware: boolean): Promise<WebgpuBackend> {
  if (active && !lost) {
    if (active.info.software && !allowSoftware) throw new WebgpuUnavailable(`only a software adapter: ${describeAdapter(active.info)}`);
    return { info: active.info, compatibility: active.compatibility };
  }
  const { found, reasons } = await findAdapter(allowSoftware);
  if (!found) throw new WebgpuUnavailable(reasons.join('; ') || 'no WebGPU adapter');
  const l = found.adapter.limits;
  // The same limits tfjs-backend-webgpu asks for itself: the adapter's maximum for what its kernels size by.
  const device = await found.adapter.requestDevice({
    requiredLimits: {
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    },
  });
  lost = null;
  // Lost while it is the lab's device: not when releaseWebgpu destroyed it, nor an older device going away later.
  const current = () => active?.device === device;
  void device.lost.then((info) => {
    if (current()) lost = info;
  });
  // tfjs-backend-webgpu's WebGPUBackend checks navigator.gpu in its constructor. Node >= 21 has a read-only
  // navigator, hence defineProperty. Dropped again in releaseWebgpu so nothing keeps the process alive.
  Object.defineProperty(globalThis, 'navigator', { value: { gpu: found.gpu }, configurable: true, writable: true });
  const mod = (await import('@tensorflow/tfjs-backend-webgpu')) as typeof import('@tensorflow/tfjs-backend-webgpu') & { default?: typeof import('@tensorflow/tfjs-backend-webgpu') };
  // A CJS bundle seen through import(): the named export, or the same object under default.
  const Base = mod.WebGPUBackend ?? mod.default!.WebGPUBackend;
  // Every readback (`await t.data()`) fails with a clear error once the device is gone, instead of hanging on a
  // buffer map that never completes or returning zeros.
  class LabWebGPUBackend extends Base {
    // tfjs reads GPU buffers synchronously through an OffscreenCanvas, which Node lacks: say what to do instead.
    // Values already on the CPU (small tensors tfjs keeps there, its CPU-forwarded kernels) read as usual.
    override readSync(dataId: object): tf.backend_util.BackendValues {
      const onCpu = (this as unknown as { tensorMap: { get(id: object): { values?: unknown } | undefined } }).tensorMap.get(dataId)?.values != null;
      if (!onCpu && typeof (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas === 'undefined') {
        throw new Error('a synchronous readback (dataSync/arraySync) is not available on the webgpu backend in Node: read with await tensor.data() instead');
      }
      return super.readSync(dataId);
    }

    override async read(dataId: object): Promise<tf.backend_util.BackendValues> {
      if (lost) throw lostError();
      let onLost: (() => void) | null = null;
      const gone = new Promise<never>((_, reject) => {
        onLost = () => reject(lostError());
        void device.lost.then(() => {
          if (current()) onLost?.();
        });
      });
      try {
        return await Promise.race([super.read(dataId), gone]);
      } catch (err) {
        if (lost) throw lostError();
        throw err;
      } finally {
        onLost = null;
      }
    }
  }
  dropTfBackend();
  tf.registerBackend('webgpu', () => new LabWebGPUBackend(device, found.adapter.info), 0);
  active = { device, info: found.info, compatibility: found.compatibility };
  return { info: found.info, compatibility: found.compatibility };
}

/** Unregisters tfjs's 'webgpu' backend; disposing one whose device is gone may throw, and is then just dropped. */
function dropTfBackend(): void {
  try {
    if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  } catch {
    /* its buffers went with the device */
  }
}

/** Destroys the device and drops navigator.gpu, so the process can exit. */
export function releaseWebgpu(): void {
  if (!active) return;
  const { device } = active;
  active = null;
  lost = null;
  dropTfBackend();
  device.destroy();
  delete (globalThis as { navigator?: unknown }).navigator;
}
