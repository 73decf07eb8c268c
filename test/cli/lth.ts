import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');
const CLI = join(ROOT, 'bin/lth.js');

export function freshHome(): string {
  return mkdtempSync(join(tmpdir(), 'lth-test-'));
}

function checkBuilt(): void {
  if (!existsSync(join(ROOT, 'dist/cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build:node` (npm test does)');
}

export interface LthResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `lth` binary, as a user would, with its own data directory. */
/** `timeoutMs`: when the call is killed (default 5 minutes; a slow backend's run under CI load may need more). */
export function lth(args: string[], home: string, env: Record<string, string> = {}, timeoutMs = 300_000): LthResult {
  checkBuilt();
  const r = spawnSync(process.execPath, [CLI, ...args], {
    env: { ...process.env, LTH_HOME: home, LTH_DB: '', ...env },
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function lthAsync(args: string[], home: string) {
  checkBuilt();
  return spawn(process.execPath, [CLI, ...args], { env: { ...process.env, LTH_HOME: home, LTH_DB: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
}

export function json<T = any>(r: LthResult): T {
  if (r.status !== 0) throw new Error(`lth exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
