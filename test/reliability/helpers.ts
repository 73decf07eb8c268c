import Database from 'better-sqlite3';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');

/** Fixed by default so CI is reproducible; LTH_RELIABILITY_SEED explores other kill points and cases. */
export const SEED = Number(process.env.LTH_RELIABILITY_SEED ?? 20251124);

/** Seeded PRNG (mulberry32): the kill points of a run are a function of SEED. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const temps: string[] = [];
export function tempDir(prefix = 'lth-rel-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temps.push(d);
  return d;
}
export function cleanupTemps(): void {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
}

/*
 * The CLI under test is dist/cli.js (`npx tsup`, as CI builds it). Several people rebuild dist/ in this checkout
 * while suites run, and tsup empties dist/ first, so each test process runs a private copy of that build. It sits
 * inside the repository (.lth-test/ is git-ignored) so node_modules resolves exactly as for dist/.
 */
let binDir: string | null = null;
export function cliPath(): string {
  if (binDir) return join(binDir, 'lth.js');
  const dist = join(ROOT, 'dist');
  if (!existsSync(join(dist, 'cli.js')) || !existsSync(join(dist, 'worker.js'))) {
    throw new Error('dist/cli.js is missing: run `npx tsup` (npm test does) before the reliability suite');
  }
  const parent = join(ROOT, '.lth-test');
  const dir = join(parent, `reliability-bin-${process.pid}`);
  // vitest ends its workers without an 'exit' event, so copies of processes that are gone are removed here.
  if (existsSync(parent)) {
    for (const e of readdirSync(parent)) {
      const pid = Number(/^reliability-bin-(\d+)$/.exec(e)?.[1]);
      if (pid && pid !== process.pid && !alive(pid)) rmSync(join(parent, e), { recursive: true, force: true });
    }
  }
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(dist)) copyFileSync(join(dist, f), join(dir, f));
  writeFileSync(join(dir, 'lth.js'), "'use strict';\nrequire('./cli.js').main(process.argv).then((code) => { process.exitCode = code; });\n");
  binDir = dir;
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'lth.js');
}

export interface LthResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function lthEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, LTH_HOME: home, LTH_DB: '', LTH_DEBUG: '', ...extra };
}

/** The real `lth` binary, synchronously, with its own data directory. */
export function lth(args: string[], home: string, env: Record<string, string> = {}, timeoutMs = 300_000): LthResult {
  const t = Date.now();
  const r = spawnSync(process.execPath, [cliPath(), ...args], { env: lthEnv(home, env), encoding: 'utf8', timeout: timeoutMs });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t };
}

export function json<T = any>(r: LthResult): T {
  if (r.status !== 0) throw new Error(`lth exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

export interface Spawned {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first match of `re` on stderr; rejects when the process exits first or after `ms`. */
  waitStderr(re: RegExp, ms?: number): Promise<RegExpExecArray>;
}

export function lthSpawn(args: string[], home: string, env: Record<string, string> = {}): Spawned {
  const child = spawn(process.execPath, [cliPath(), ...args], { env: lthEnv(home, env), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  let exited = false;
  void exit.then(() => (exited = true));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exit,
    waitStderr: (re, ms = 120_000) =>
      new Promise((res, rej) => {
        const began = Date.now();
        const poll = () => {
          const m = re.exec(err);
          if (m) return res(m);
          if (exited) return rej(new Error(`lth exited before printing ${re}: ${err}`));
          if (Date.now() - began > ms) return rej(new Error(`no ${re} on stderr within ${ms} ms: ${err}`));
          setTimeout(poll, 20);
        };
        poll();
      }),
  };
}

/** PIDs whose parent is `pid` (Linux /proc), for checking that a killed process leaves no trainer behind. */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces, so read after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(e));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

export function alive(pid: number): boolean {
  try {
    // A zombie still answers kill(0); /proc says it is dead.
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return st.slice(st.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Opens a database file directly (not through the store), for checks a user's tools would make. */
export function rawDb(path: string, readonly = false): Database.Database {
  return new Database(path, { readonly, fileMustExist: true });
}

export function integrity(path: string): string[] {
  const db = rawDb(path);
  try {
    const rows = db.pragma('integrity_check') as { integrity_check: string }[];
    const fk = db.pragma('foreign_key_check') as unknown[];
    return [...rows.map((r) => r.integrity_check).filter((s) => s !== 'ok'), ...fk.map((f) => `foreign key: ${JSON.stringify(f)}`)];
  } finally {
    db.close();
  }
}

/** Every row of every table, in a stable order: equal dumps mean nothing was written. */
export function dumpDb(db: Database.Database, only?: readonly string[]): string {
  const tables = (db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`).all() as { name: string }[])
    .map((t) => t.name)
    .filter((t) => !only || only.includes(t));
  const parts: string[] = [];
  for (const t of tables) {
    const rows = db.prepare(`SELECT * FROM "${t}"`).all() as Record<string, unknown>[];
    const lines = rows.map((r) =>
      JSON.stringify(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Buffer.isBuffer(v) ? `blob:${v.toString('base64')}` : v]))),
    );
    lines.sort();
    parts.push(`${t}:${lines.join('\n')}`);
  }
  return parts.join('\n---\n');
}

/** A run result without its wall-clock duration, the one field two identical computations may differ in. */
export function withoutDuration<T extends { durationMs?: unknown }>(r: T): Omit<T, 'durationMs'> {
  const { durationMs: _d, ...rest } = r;
  return rest;
}

export const runKey = (r: { trial: number; variant: string; round: number }) => `${r.trial}:${r.variant}:${r.round}`;
export const byKey = <T extends { trial: number; variant: string; round: number }>(rs: readonly T[]) =>
  [...rs].sort((a, b) => runKey(a).localeCompare(runKey(b)));

/** Masks and rewind/trained weights of an experiment, as stored bytes. */
export function storedArtifacts(dbPath: string, experimentId: string): { masks: string[]; weights: string[] } {
  const db = rawDb(dbPath);
  try {
    const masks = (db.prepare('SELECT trial, round, bits FROM masks WHERE experiment_id = ? ORDER BY trial, round').all(experimentId) as {
      trial: number;
      round: number;
      bits: Buffer;
    }[]).map((m) => `${m.trial}:${m.round}:${m.bits.toString('base64')}`);
    const weights = (db.prepare('SELECT trial, kind, round, data FROM weights WHERE experiment_id = ? ORDER BY trial, kind, round').all(experimentId) as {
      trial: number;
      kind: string;
      round: number;
      data: Buffer;
    }[]).map((w) => `${w.trial}:${w.kind}:${w.round}:${w.data.toString('base64')}`);
    return { masks, weights };
  } finally {
    db.close();
  }
}

/** Whether `mount` works here (root with CAP_SYS_ADMIN): a real tiny filesystem can then be made. */
export function canMountLoop(): { ok: boolean; why: string } {
  if (process.platform !== 'linux') return { ok: false, why: 'not Linux' };
  const mkfs = spawnSync('sh', ['-c', 'command -v mkfs.ext4'], { encoding: 'utf8' });
  if (mkfs.status !== 0) return { ok: false, why: 'mkfs.ext4 is not installed (apt-get install e2fsprogs)' };
  const lo = spawnSync('losetup', ['-f'], { encoding: 'utf8' });
  if (lo.status !== 0) return { ok: false, why: `no free loop device: ${(lo.stderr || lo.stdout).trim()}` };
  const dir = mkdtempSync(join(tmpdir(), 'lth-mount-probe-'));
  try {
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { encoding: 'utf8' });
    if (m.status !== 0) return { ok: false, why: `mount is not permitted here: ${m.stderr.trim()}` };
    spawnSync('umount', [dir]);
    return { ok: true, why: '' };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Bundles a TypeScript entry (a child process a test SIGKILLs) with the project's own tsup, next to the private
 * CLI copy; packages stay external and resolve from node_modules. Returns the .js path.
 */
export async function bundleChild(entry: string): Promise<string> {
  const { build } = await import('tsup');
  const dir = join(cliPath(), '..');
  const name = entry.replace(/^.*\//, '').replace(/\.ts$/, '');
  await build({
    entry: { [name]: resolve(__dirname, entry) },
    outDir: dir,
    format: ['cjs'],
    platform: 'node',
    target: 'node20',
    skipNodeModulesBundle: true,
    clean: false,
    silent: true,
    config: false,
    shims: true,
  });
  return join(dir, `${name}.js`);
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}
