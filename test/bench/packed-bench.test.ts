import { describe, expect, it } from 'vitest';
import { packedTargets, renderPacked, type PackedResult } from '../../src/main/bench/packed';

const row = (runs: number, packed: number, seq: number, vsOneRun: number) => ({
  runs,
  steps: 30,
  packedRunStepsPerSec: packed,
  packedMedian: packed,
  sequentialRunStepsPerSec: seq,
  sequentialMedian: seq,
  speedup: Number((packed / seq).toFixed(2)),
  vsOneRun,
});

describe('packed-training bench arithmetic (issue 11)', () => {
  const webgpu: PackedResult = { backend: 'webgpu', detail: 'WebGPU on llvmpipe via Dawn opengles, software adapter', baseline: 'trainRun', experiment: null, rows: [row(1, 10, 10, 1), row(15, 15, 9, 1.5)] };
  const wasm: PackedResult = {
    backend: 'wasm',
    detail: 'wasm',
    baseline: 'trainRun',
    rows: [row(1, 100, 100, 1)],
    experiment: { description: 'small', packedSeconds: 130, unpackedSeconds: 72, speedup: 0.55, packs: [3, 3, 9, 6], runs: 21 },
  };

  it('the GPU target is R = 15 vs one run alone, with its margin; the wasm target holds under auto and shows --pack on', () => {
    const t = Object.fromEntries(packedTargets([wasm, webgpu]).map((x) => [x.id, x]));
    expect(t['packed-gpu-8x']).toMatchObject({ met: false, value: '1.5x' });
    expect(t['packed-gpu-8x']!.margin).toContain('needs 5.33x');
    expect(t['packed-gpu-8x']!.goal).toContain('software WebGPU adapter');
    expect(t['packed-h200']!.met).toBeNull();
    expect(t['packed-wasm-experiment']!.met).toBe(true);
    expect(t['packed-wasm-forced']).toMatchObject({ met: false });
    expect(t['packed-wasm-forced']!.value).toContain('130 s vs 72 s');
  });

  it('without a GPU backend the GPU target is not measured; the section renders every row', () => {
    expect(packedTargets([wasm]).find((x) => x.id === 'packed-gpu-8x')!.met).toBeNull();
    const md = renderPacked([wasm, webgpu]).join('\n');
    expect(md).toContain('## Packed training (issue 11)');
    expect(md).toContain('| webgpu | 15 | 30 | 15 | 15 | 9 | 9 | 1.67x | 1.5x |');
    expect(md).toContain('| 3, 3, 9, 6 |');
  });
});
