import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import { serveCommand } from '../../src/main/cli/commands/serve';
import { fakeServices } from '../contract/fake-services';
import { freshHome, json, lth } from './lth';

interface Doctor {
  backends: { name: string; loads: boolean; detail: string; adapter?: { software: boolean; route: string; device: string; description: string }; checkVsCpu?: number; notes: string[] }[];
  auto: { backend: string; why: string };
  dataDir: string;
  databasePath: string;
}

/**
 * A machine where tfjs-node-gpu is installed and a GPU is visible, but TensorFlow 2.9.1 cannot find CUDA 11
 * (a CUDA 12 workstation). The real package cannot install here (its install downloads libtensorflow), so a
 * package of that name that fails to load exactly as it does there stands in for it, found through NODE_PATH,
 * and an `nvidia-smi` on PATH lists one GPU.
 */
function brokenCudaMachine(): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'lth-cuda12-'));
  const pkg = join(dir, 'node_modules', '@tensorflow', 'tfjs-node-gpu');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: '@tensorflow/tfjs-node-gpu', version: '4.22.0', main: 'index.js' }));
  writeFileSync(join(pkg, 'index.js'), "throw new Error('libcudart.so.11.0: cannot open shared object file: No such file or directory');\n");
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'nvidia-smi'), '#!/bin/sh\necho "GPU 0: NVIDIA H200 (UUID: GPU-00000000-0000-0000-0000-000000000000)"\n');
  chmodSync(join(bin, 'nvidia-smi'), 0o755);
  return { NODE_PATH: join(dir, 'node_modules'), PATH: `${bin}:${process.env.PATH}`, CUDA_VISIBLE_DEVICES: '0' };
}

describe('lth doctor', () => {
  it("keeps the drivers' and tfjs's own lines off the terminal and says what it hid in its own words", () => {
    const home = freshHome();
    // No login session: Mesa would complain about XDG_RUNTIME_DIR.
    const r = lth(['doctor'], home, { XDG_RUNTIME_DIR: '' });
    expect(r.status).toBe(0);
    expect(r.stderr).not.toMatch(/XDG_RUNTIME_DIR/);
    expect(r.stderr).not.toMatch(/tfjs-node|looks like you are running TensorFlow\.js in Node/);
    expect(r.stderr).not.toMatch(/artificially reduced|Warning:/);
    expect(r.stderr.trim()).toBe('');
    expect(r.stdout).toMatch(/^auto picks: /m);
    expect(r.stdout).not.toMatch(/tfjs-node for more details/);
    const verbose = lth(['doctor', '--verbose'], home, { XDG_RUNTIME_DIR: '' });
    expect(verbose.stderr.trim()).toBe('');
    if (/GPU driver messages: \d+ lines/.test(r.stdout)) expect(verbose.stdout).toMatch(/the GPU drivers wrote while the backends loaded/);
    const j = json<{ backends: unknown[] }>(lth(['doctor', '--json'], home, { XDG_RUNTIME_DIR: '' }));
    expect(j.backends).toHaveLength(5);
  });

  it('explains every backend, checks the ones that load against cpu, and says what auto picks and where the data is', () => {
    const home = freshHome();
    const d = json<Doctor>(lth(['doctor', '--json'], home));
    expect(d.backends.map((b) => b.name)).toEqual(['tensorflow-gpu', 'tensorflow-cpu', 'webgpu', 'wasm', 'cpu']);
    for (const b of d.backends) expect(b.detail.length).toBeGreaterThan(10);
    const by = (n: string) => d.backends.find((b) => b.name === n)!;
    expect(by('cpu').loads).toBe(true);
    expect(by('wasm').loads).toBe(true);
    expect(by('wasm').checkVsCpu).toBeLessThan(1e-4);
    // Neither TensorFlow binding can install on this machine (no libtensorflow download): each says so.
    expect(by('tensorflow-gpu').detail).toMatch(/not installed|no NVIDIA GPU visible|failed to load/);
    const webgpu = by('webgpu');
    if (webgpu.loads) {
      expect(webgpu.checkVsCpu).toBeLessThan(1e-4);
      if (webgpu.adapter!.software) {
        expect(webgpu.detail).toMatch(/software adapter/);
        expect(d.auto.backend).not.toBe('webgpu');
        expect(d.auto.why).toMatch(/webgpu: software adapter only/);
      }
    } else {
      expect(webgpu.detail).toMatch(/no WebGPU adapter|cannot|not installed/);
    }
    expect(d.auto.backend).toBe(['tensorflow-gpu', 'webgpu', 'tensorflow-cpu', 'wasm', 'cpu'].find((n) => by(n).loads && !(n === 'webgpu' && by(n).adapter?.software)));
    expect(d.dataDir).toBe(home);
    expect(d.databasePath).toBe(join(home, 'lth.sqlite'));

    const text = lth(['doctor'], home);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/^tensorflow-gpu +no /m);
    expect(text.stdout).toMatch(/^wasm +ok /m);
    expect(text.stdout).toContain(`auto picks:      ${d.auto.backend}`);
    expect(text.stdout).toContain(`database:        ${join(home, 'lth.sqlite')}`);
  });

  it('says why an installed tfjs-node-gpu fails (CUDA 11.2 + cuDNN 8.1), and the run says it on its first line with the backend used instead', () => {
    const env = brokenCudaMachine();
    const home = freshHome();
    const d = json<Doctor>(lth(['doctor', '--json'], home, env));
    const gpu = d.backends.find((b) => b.name === 'tensorflow-gpu')!;
    expect(gpu.loads).toBe(false);
    expect(gpu.detail).toMatch(/installed but failed to load: libcudart\.so\.11\.0: cannot open shared object file.*CUDA 11\.2 and cuDNN 8\.1/);
    expect(gpu.notes.join(' ')).toContain('NVIDIA H200');

    const run = lth(['run', '--preset', 'lenet300-mnist', '--rounds', '1', '--iterations', '20', '--eval-interval', '20', '--trials', '1', '--controls', 'none', '--workers', '1'], home, env);
    expect(run.status, run.stderr).toBe(0);
    const first = run.stderr.split('\n')[0]!;
    expect(first).toMatch(/^lth: warning: @tensorflow\/tfjs-node-gpu is installed but failed to load: libcudart\.so\.11\.0.*CUDA 11\.2 and cuDNN 8\.1.*; training on (wasm|webgpu|cpu) instead$/);
    expect(run.stderr.split('\n')[1]).toMatch(/ on (wasm|webgpu|cpu)$/);

    // Forced: no silent change of backend; the error names both bindings' problems.
    const forced = lth(['--backend', 'tensorflow', 'run', '--preset', 'lenet300-mnist', '--rounds', '1', '--iterations', '20', '--trials', '1', '--controls', 'none', '--workers', '1'], home, env);
    expect(forced.status).not.toBe(0);
    expect(forced.stderr).toMatch(/tfjs-node-gpu is installed but failed to load: libcudart\.so\.11\.0.*; @tensorflow\/tfjs-node is not installed/);
  });

  it("lth serve logs the backend and its warning on stderr, keeping stdout to the URL line", async () => {
    const note = '@tensorflow/tfjs-node-gpu is installed but failed to load: libcudart.so.11.0 missing; training on wasm instead';
    const services = Object.assign(fakeServices(), { close: vi.fn(async () => undefined) });
    services.system = () => ({ ...fakeServices().system(), backendNote: note });
    const cmd = serveCommand({
      createLabServices: (async () => services) as never,
      startServer: (async () => ({ url: 'http://127.0.0.1:4321/?token=abc', token: 'abc', port: 4321, close: async () => undefined })) as never,
      baseDir: '/opt/lth/dist',
      onSignal: () => undefined,
      exit: () => undefined,
    });
    const program = new Command('lth').option('--db <file>').option('--home <dir>').option('--backend <b>').addCommand(cmd).exitOverride();
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    await program.parseAsync(['node', 'lth', 'serve', '--port', '0']);
    const stdout = out.mock.calls.map((c) => String(c[0]));
    const stderr = err.mock.calls.map((c) => String(c[0]));
    out.mockRestore();
    err.mockRestore();
    expect(stdout).toEqual(['http://127.0.0.1:4321/?token=abc\n']);
    expect(stderr).toContain('lth serve: backend wasm: wasm SIMD\n');
    expect(stderr).toContain(`lth serve: warning: ${note}\n`);
  });
});
