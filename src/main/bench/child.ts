import { fork, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** dist/ (cli.js and worker.js): where this bundle sits, or the repository's dist when running from sources. */
export function distDir(): string {
  if (existsSync(join(__dirname, 'cli.js')) && existsSync(join(__dirname, 'worker.js'))) return __dirname;
  const repoDist = resolve(__dirname, '../../../dist');
  if (existsSync(join(repoDist, 'cli.js'))) return repoDist;
  throw new Error('dist/cli.js is missing: run `npm run build:node` first');
}

/** Runs `lth bench --task NAME ...` in a fresh process and returns the JSON it prints. */
export function benchTask<T>(task: string, args: string[], backend: string): Promise<T> {
  return new Promise((resolvePromise, reject) => {
    const child = fork(join(distDir(), 'cli.js'), ['--backend', backend, 'bench', '--task', task, ...args], {
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`bench task ${task} exited with ${code}: ${out.slice(-500)}`));
      try {
        // printJson: one (pretty-printed) JSON object is all the task writes on stdout.
        resolvePromise(JSON.parse(out) as T);
      } catch {
        reject(new Error(`bench task ${task} printed no JSON: ${out.slice(-500)}`));
      }
    });
  });
}

/** Runs the real CLI as a user would; resolves with its exit code, wall time and peak RSS of the main process. */
export function spawnCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; wallMs: number; peakRssMB: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [join(distDir(), 'cli.js'), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child.on('error', reject);
    child.on('exit', (code) => resolvePromise({ code, wallMs: performance.now() - t0, peakRssMB: null, stdout, stderr }));
  });
}
