import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The device check (scripts/device-check) must work the first time a GPU machine is lent, with no network and no
 * Node there: so CI packs the real bundle and runs `run --quick` from a clean folder outside the repository, with
 * only python3 on PATH (no system Node to fall back on), against Dawn's software adapter.
 */
const ROOT = resolve(__dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'lth-device-check-'));
const bundle = join(work, 'bundle');

function sizeOf(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((a, e) => a + (e.isDirectory() ? sizeOf(join(dir, e.name)) : statSync(join(dir, e.name)).size), 0);
}

/** A PATH with python3 alone: whatever the run needs besides it, it must have brought. */
function pythonOnlyPath(): string {
  const bin = join(work, 'bin');
  mkdirSync(bin, { recursive: true });
  const found = ['/usr/bin/python3', ...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'python3'))].find((p) => existsSync(p))!;
  symlinkSync(realpathSync(found), join(bin, 'python3'));
  return bin;
}

let unpackedDir = '';
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  if (unpackedDir) rmSync(unpackedDir, { recursive: true, force: true });
});

describe('device check bundle', () => {
  // A cold cache compresses Node (99 MB) and MNIST with xz first: minutes on a loaded 2-core machine.
  it('packs within 56 MiB and runs --quick in a clean folder with the bundled Node on the software adapter', { timeout: 1_200_000 }, () => {
    const t0 = performance.now();
    const packed = spawnSync(process.execPath, [join(ROOT, 'scripts/device-check/pack'), bundle], { encoding: 'utf8', cwd: ROOT });
    expect(packed.status, packed.stderr).toBe(0);
    const packSeconds = (performance.now() - t0) / 1000;
    expect(packed.stdout).toMatch(/node\.xz .*Node/);
    expect(packed.stdout).toMatch(/modules\.tar\.xz .*traced/);
    expect(sizeOf(bundle)).toBeLessThanOrEqual(56 * 1024 * 1024);
    const manifest = JSON.parse(readFileSync(join(bundle, 'manifest.json'), 'utf8')) as { modules: string[] };
    // Traced, not listed: the union package pulls layers, converter and data in through the engine's import.
    expect(manifest.modules.some((f) => f.startsWith('node_modules/@tensorflow/tfjs-layers/'))).toBe(true);
    expect(manifest.modules.some((f) => f.startsWith('node_modules/better-sqlite3/') && f.endsWith('.node'))).toBe(true);

    const clean = join(work, 'clean');
    mkdirSync(clean);
    const out = join(clean, 'out');
    const env: NodeJS.ProcessEnv = { HOME: clean, PATH: pythonOnlyPath(), OUT: out };
    const t1 = performance.now();
    const run = spawnSync(join(bundle, 'run'), ['--quick'], { encoding: 'utf8', cwd: clean, env });
    const runSeconds = (performance.now() - t1) / 1000;
    expect(run.status, run.stderr.slice(-3000)).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'device-check.json'), 'utf8')) as Record<string, Record<string, any>>;
    process.stderr.write(`device check: pack ${packSeconds.toFixed(0)} s, run --quick ${runSeconds.toFixed(0)} s; sections ${JSON.stringify(Object.fromEntries(Object.entries(report).map(([k, v]) => [k, v.seconds])))}\n`);

    // The bundled Node, unpacked into the temporary folder (outside the bundle, which must stay small enough to carry).
    const unpacked = /^(.*lth-device-check-[0-9a-f]{12})\/node \(v\d+\./.exec(String(report.meta!.node));
    expect(unpacked, String(report.meta!.node)).not.toBeNull();
    unpackedDir = unpacked![1]!;
    for (const s of ['doctor', 'throughput', 'experiment', 'ceiling']) expect(report[s]!.error, `${s}: ${report[s]!.error}`).toBeUndefined();
    expect(report.doctor!.backends.find((b: { name: string }) => b.name === 'webgpu').loads).toBe(true);
    expect(report.throughput!.adapter.detail).toMatch(/WebGPU on .* via Dawn/);
    expect(report.throughput!.lenet300.stepsPerSec).toBeGreaterThan(0);
    expect(report.throughput!.packedR3.packedRunStepsPerSec).toBeGreaterThan(0);
    expect(report.ceiling!.matmul256.gflops).toBeGreaterThan(0);
    expect(report.experiment!.run).toMatchObject({ status: 'completed', runsPlanned: 4, runsDone: 4, paperRunSteps: 11_500_000 });
    expect(report.experiment!.run.projectedPaperHours).toBeGreaterThan(0);
    // No CUDA here: the peer says so, or (PyTorch installed) runs its commands on the CPU under --quick.
    if (report.peer!.error) expect(report.peer!.error).toMatch(/PyTorch|CUDA|python/i);
    else expect(report.peer!.device.device).toBe('cpu');
    const md = readFileSync(join(out, 'device-check.md'), 'utf8');
    expect(md).toContain('### Device check (--quick)');
    expect(md).toMatch(/WebGPU, one run \(trainRun\) \| \d/);

    // A section past its budget is stopped and says so; --only keeps the other sections.
    const again = spawnSync(join(bundle, 'run'), ['--quick', '--only', 'ceiling', '--budget', 'ceiling=0.001'], { encoding: 'utf8', cwd: clean, env });
    expect(again.status, again.stderr.slice(-2000)).toBe(0);
    const second = JSON.parse(readFileSync(join(out, 'device-check.json'), 'utf8')) as Record<string, Record<string, any>>;
    expect(second.ceiling!.matmul256.error).toMatch(/budget of 0.001 s was spent/);
    expect(second.experiment).toEqual(report.experiment);
  });
});
