import { describe, expect, it } from 'vitest';
import { rateOf } from '../../src/main/bench/throughput';
import { evaluateTargets } from '../../src/main/bench/targets';
import type { BenchReport } from '../../src/main/bench/types';
import { json, lth, freshHome } from '../cli/lth';

// No timing assertions here: the benchmark is its own command (`npm run bench`). These check its arithmetic
// and, when asked for (LTH_BENCH_TEST=1: it takes one to two minutes on a loaded 2-core machine), its output.

describe('bench arithmetic', () => {
  it('rates come from the best and the median chunk', () => {
    const r = rateOf([10, 20, 40]);
    expect(r.stepsPerSec).toBe(100);
    expect(r.examplesPerSec).toBe(6000);
    expect(r.medianStepsPerSec).toBe(50);
  });

  it('targets say met or missed, and by how much', () => {
    const report = {
      quick: false,
      machine: { cores: 2 },
      training: [{ backend: 'wasm', rows: [{ network: 'lenet300', ratio: 1.5, ratioMedian: 1.4, fractionOf1024: 0.6, fractionOfLayer1: 0.7 }] }],
      parallel: { speedup: 1.9 },
      serve: { p99Ms: 25 },
      tickets: { saveMs: 10, loadMs: 5 },
      endToEnd: { command: 'lth run ...', wallSeconds: 30 },
    } as unknown as Omit<BenchReport, 'targets'>;
    const t = Object.fromEntries(evaluateTargets(report).map((x) => [x.id, x]));
    expect(t['lenet-vs-pytorch']).toMatchObject({ met: false });
    expect(t['lenet-vs-pytorch']!.margin).toContain('25% short');
    expect(t['matmul-ceiling']!.met).toBe(true);
    expect(t['parallel']!.met).toBe(true);
    expect(t['event-loop-p99']).toMatchObject({ met: false });
    expect(t['event-loop-p99']!.margin).toContain('missed by 5.0 ms');
    expect(t['ticket-save']!.met).toBe(true);
    expect(t['end-to-end']!.met).toBe(true);
  });
});

describe.skipIf(!process.env.LTH_BENCH_TEST)('lth bench --quick --json', () => {
  it('reports every measurement with positive numbers', () => {
    const r = json<BenchReport>(lth(['bench', '--quick', '--json'], freshHome()));
    expect(Object.keys(r)).toEqual(expect.arrayContaining(['machine', 'training', 'impRound', 'tickets', 'serve', 'parallel', 'memory', 'endToEnd', 'targets']));
    const wasm = r.training.find((s) => s.backend === 'wasm')!;
    for (const row of wasm.rows) expect(row.lth.stepsPerSec).toBeGreaterThan(0);
    expect(wasm.matmul.every((m) => m.gflops > 0)).toBe(true);
    expect(r.impRound.roundMs).toBeGreaterThan(0);
    expect(r.tickets.saveMs).toBeGreaterThan(0);
    expect(r.tickets.loadMs).toBeGreaterThan(0);
    expect(r.serve.p99Ms).toBeGreaterThanOrEqual(0);
    expect(r.parallel.speedup).toBeGreaterThan(0);
    expect(r.memory.map((m) => m.peakRssMB).every((x) => x > 0)).toBe(true);
    expect(r.endToEnd.wallSeconds).toBeGreaterThan(0);
    expect(r.targets.length).toBeGreaterThanOrEqual(6);
  });
});
