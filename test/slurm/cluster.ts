import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../cli/lth';

export interface Cluster {
  /** Environment for sbatch/scontrol and for lth (which calls them). */
  env: Record<string, string>;
  /** Set when this process started the cluster (and so stops it). */
  startedDir: string | null;
  upSeconds: number;
}

const ping = (conf: string) => spawnSync('scontrol', ['ping'], { env: { ...process.env, SLURM_CONF: conf }, encoding: 'utf8', timeout: 15_000 });

/**
 * A real one-node Slurm cluster: the one CI started (SLURM_CONF set and answering), else one started here with
 * scripts/slurm/cluster-up.sh. Returns why not when it cannot start: the tests then skip and print that reason.
 */
export function startCluster(): Cluster | { skip: string } {
  const conf = process.env.SLURM_CONF;
  if (conf && existsSync(conf) && /UP/.test(ping(conf).stdout ?? '')) return { env: { SLURM_CONF: conf }, startedDir: null, upSeconds: 0 };
  if (process.platform !== 'linux') return { skip: `a local Slurm cluster needs Linux (this is ${process.platform})` };
  if (process.getuid?.() !== 0) return { skip: 'starting a local Slurm cluster needs root (slurmd, munged); CI runs as root' };
  // The cluster scripts/slurm/cluster-up.sh keeps in LTH_SLURM_DIR (default /tmp/lth-slurm): reused when it is
  // up (the script only re-checks it then), started and later stopped here when it is not.
  const dir = process.env.LTH_SLURM_DIR || '/tmp/lth-slurm';
  const wasUp = existsSync(join(dir, 'slurm.conf')) && /UP/.test(ping(join(dir, 'slurm.conf')).stdout ?? '');
  const began = Date.now();
  const r = spawnSync(join(ROOT, 'scripts/slurm/cluster-up.sh'), [dir], { encoding: 'utf8', timeout: 240_000 });
  if (r.status !== 0) return { skip: `scripts/slurm/cluster-up.sh failed: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-3).join(' | ')}` };
  return { env: { SLURM_CONF: join(dir, 'slurm.conf') }, startedDir: wasUp ? null : dir, upSeconds: (Date.now() - began) / 1000 };
}

/**
 * CI sets CI=true and brings a cluster up (.ci/run): there a cluster that does not start is a failure, not a
 * reason to skip, or the job-array tests would pass by not running. Elsewhere (a laptop without root) the tests
 * skip and print why. Returns the reason to skip, or null when the cluster is up; throws under CI.
 */
export function skipReason(c: Cluster | { skip: string }, env: NodeJS.ProcessEnv = process.env): string | null {
  if (!('skip' in c)) return null;
  if (env.CI === 'true') throw new Error(`CI=true, and the local Slurm cluster did not start: ${c.skip}`);
  return c.skip;
}

export function stopCluster(c: Cluster): void {
  if (c.startedDir) spawnSync(join(ROOT, 'scripts/slurm/cluster-down.sh'), [c.startedDir], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, LTH_SLURM_KEEP_MUNGE: '' } });
}

export function slurm(cmd: string, args: string[], c: Cluster): string {
  const r = spawnSync(cmd, args, { env: { ...process.env, ...c.env }, encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/*
 * The CLI under test is dist/ (as CI builds it). Others rebuild dist/ in this checkout while suites run (tsup
 * empties it first), and a job array runs minutes later on the "nodes": each test process runs a private copy,
 * inside the repository (.lth-test/ is git-ignored) so node_modules resolves as for dist/. The job scripts it
 * writes name that copy, since lth puts its own entry script in them.
 */
let binDir: string | null = null;
export function privateLth(): string {
  if (binDir) return join(binDir, 'lth.js');
  const dist = join(ROOT, 'dist');
  if (!existsSync(join(dist, 'cli.js')) || !existsSync(join(dist, 'worker.js'))) throw new Error('dist/cli.js is missing: run `npm run build:node` (npm test does)');
  const parent = join(ROOT, '.lth-test');
  if (existsSync(parent)) {
    for (const e of readdirSync(parent)) {
      const pid = Number(/^slurm-bin-(\d+)$/.exec(e)?.[1]);
      if (pid && pid !== process.pid && !alive(pid)) rmSync(join(parent, e), { recursive: true, force: true });
    }
  }
  const dir = join(parent, `slurm-bin-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(dist)) copyFileSync(join(dist, f), join(dir, f));
  writeFileSync(join(dir, 'lth.js'), "'use strict';\nrequire('./cli.js').main(process.argv).then((code) => { process.exitCode = code; });\n");
  binDir = dir;
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'lth.js');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface LthResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The real `lth` (the private copy), as a user runs it, with its own data directory. */
export function lth(args: string[], home: string, env: Record<string, string> = {}): LthResult {
  const r = spawnSync(process.execPath, [privateLth(), ...args], { env: { ...process.env, LTH_HOME: home, LTH_DB: '', ...env }, encoding: 'utf8', timeout: 300_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function lthAsync(args: string[], home: string, env: Record<string, string> = {}): Promise<LthResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [privateLth(), ...args], { env: { ...process.env, LTH_HOME: home, LTH_DB: '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

export function json<T = any>(r: LthResult): T {
  if (r.status !== 0) throw new Error(`lth exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
