import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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

export function stopCluster(c: Cluster): void {
  if (c.startedDir) spawnSync(join(ROOT, 'scripts/slurm/cluster-down.sh'), [c.startedDir], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, LTH_SLURM_KEEP_MUNGE: '' } });
}

export function slurm(cmd: string, args: string[], c: Cluster): string {
  const r = spawnSync(cmd, args, { env: { ...process.env, ...c.env }, encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
