import type { GpuAdapterInfo } from '../../../shared/results';
import type { FromPortTrainer, TrainerPort } from './protocol';

export type ProbeResult = { ok: true; backend: string; detail: string; adapter: GpuAdapterInfo | null } | { ok: false; reason: string };

/**
 * Asks a trainer host whether it can train: it loads its backend on an empty dataset and answers ready or
 * failed. The desktop app asks its WebGPU window this once at start, to decide where experiments train and
 * what the status bar says.
 */
export function probeTrainer(port: TrainerPort, timeoutMs = 30_000): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ ok: false, reason: `the WebGPU trainer window did not answer within ${timeoutMs / 1000} s` }), timeoutMs);
    port.onMessage((raw) => {
      const m = raw as FromPortTrainer;
      if (m.type === 'trainer-ready') {
        clearTimeout(timer);
        resolve({ ok: true, backend: m.backend, detail: m.detail ?? m.backend, adapter: m.adapter ?? null });
      } else if (m.type === 'trainer-failed') {
        clearTimeout(timer);
        resolve({ ok: false, reason: m.message });
      }
    });
    const empty = new Uint8Array(0);
    port.postMessage({
      type: 'trainer-init-data',
      dataset: { id: 'probe', hash: 'probe', shape: [1, 1, 1], numClasses: 1, classNames: ['probe'], trainImages: empty, trainLabels: empty, testImages: empty, testLabels: empty, mean: [0], std: [1] },
    });
  });
}

/** Where the app's experiments train, and the line the status bar shows, from the probe's answer. */
export function desktopTraining(probe: ProbeResult, platform: NodeJS.Platform = process.platform): { useWindow: boolean; detail: string | null; note: string | null } {
  if (probe.ok && probe.backend === 'webgpu' && !probe.adapter?.software) return { useWindow: true, detail: probe.detail, note: null };
  const why = probe.ok ? `only a software adapter (${probe.detail}), which the app does not pick` : probe.reason;
  const hint =
    platform === 'linux' && !probe.ok
      ? ' (on Linux: Chromium enables WebGPU from 147 for NVIDIA driver >= 535 and 144 for Intel Gen12+; otherwise start the app with LTH_ENABLE_UNSAFE_WEBGPU=1 and a Vulkan driver installed)'
      : '';
  return { useWindow: false, detail: null, note: `WebGPU is not used by the desktop app: ${why}${hint}; training on the CPU backends` };
}
