import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/main/store';
import type { Mask } from '../../src/main/engine/types';
import { freshHome, json, lth } from '../cli/lth';
import { skipUnlessCi } from '../ci-required';

/**
 * The acceptance run of issue 10 through the real CLI: a short IMP on real MNIST with --backend webgpu, with no
 * environment variables beyond the test's own data directory (the lab finds Dawn's Vulkan or OpenGL ES adapter
 * by itself; here that is Mesa's llvmpipe), against the same command on wasm.
 *
 * Stated tolerance: the round-1 masks agree on at least 99.9% of the 266,200 weights (magnitudes that tie within
 * float rounding may swap across the threshold), and every run's early-stop and final test accuracy within 0.5
 * points of wasm's.
 */
const args = ['run', '--preset', 'lenet300-mnist', '--rounds', '2', '--iterations', '300', '--trials', '1', '--controls', 'none', '--workers', '1', '--json'];

function masksOf(home: string, id: string): Map<string, Mask> {
  const store = openStore({ dataDir: home, dbPath: join(home, 'lth.sqlite') });
  try {
    return store.resumeState(id).masks;
  } finally {
    store.close();
  }
}

const probe = lth(['doctor', '--json'], freshHome());
const webgpu = probe.status === 0 ? (JSON.parse(probe.stdout).backends as { name: string; loads: boolean; detail: string }[]).find((b) => b.name === 'webgpu') : undefined;
const unavailable = skipUnlessCi('the WebGPU adapter (lth doctor)', !webgpu ? `lth doctor failed: ${probe.stderr}` : webgpu.loads ? null : webgpu.detail);

describe.skipIf(unavailable !== null)('lth run --backend webgpu on real MNIST', () => {
  it('trains 2 rounds of LeNet-300-100 on the adapter the lab finds itself; masks and accuracies match wasm', () => {
    const wasmHome = freshHome();
    const gpuHome = freshHome();
    const wasm = json(lth(['--backend', 'wasm', ...args], wasmHome));
    const t0 = performance.now();
    // A software adapter on a loaded 2-core machine: minutes; the test's own limit, not lth()'s default, applies.
    const gpuRun = lth(['--backend', 'webgpu', ...args], gpuHome, {}, 840_000);
    const seconds = (performance.now() - t0) / 1000;
    const gpu = json(gpuRun);
    expect(gpu.backend).toBe('webgpu');
    const shown = json(lth(['experiments', 'show', gpu.experimentId, '--json'], gpuHome));
    expect(shown.backend).toBe('webgpu');
    // The adapter is recorded with the experiment: here Mesa's llvmpipe, a software adapter.
    expect(shown.versions.backendDetail).toMatch(/^WebGPU on /);
    expect(typeof shown.versions.adapter.software).toBe('boolean');
    expect(shown.versions.adapter.route).toMatch(/vulkan|opengles|metal|d3d12/);

    const wm = masksOf(wasmHome, wasm.experimentId).get('0:1')!;
    const gm = masksOf(gpuHome, gpu.experimentId).get('0:1')!;
    let total = 0;
    let differ = 0;
    gm.forEach((m, l) => {
      total += m.length;
      for (let j = 0; j < m.length; j++) if (m[j] !== wm[l]![j]) differ++;
    });
    expect(total).toBe(266_200);
    const acc = gpu.results.map((r: any) => {
      const w = wasm.results.find((x: any) => x.round === r.round && x.variant === r.variant);
      return { round: r.round, early: Math.abs(r.testAccuracy - w.testAccuracy), final: Math.abs(r.finalTestAccuracy - w.finalTestAccuracy), gpu: r.finalTestAccuracy, wasm: w.finalTestAccuracy };
    });
    console.log(`webgpu vs wasm (${seconds.toFixed(0)} s on webgpu): round-1 masks differ on ${differ} of ${total} weights; test accuracy |diff| per run: ${JSON.stringify(acc)}`);
    expect(differ / total).toBeLessThanOrEqual(0.001);
    expect(gpu.results).toHaveLength(wasm.results.length);
    for (const a of acc) {
      expect(a.early).toBeLessThanOrEqual(0.005);
      expect(a.final).toBeLessThanOrEqual(0.005);
    }
    for (const r of gpu.results) expect(r.finalTestAccuracy).toBeGreaterThan(0.9);
    // The webgpu run takes 5 min 20 s on 2 quiet cores (llvmpipe software adapter, measured at 764ccf2 and after), longer under load: hence the longer limit.
  }, 900_000);
});
