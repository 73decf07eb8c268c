import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnCli } from './child';

export interface EndToEndResult {
  command: string;
  wallSeconds: number;
  status: string;
  runs: number | null;
  finalTestAccuracy: number | null;
}

/** The engine issue's check, as a user types it: the real CLI in a fresh data directory, wall time from spawn to exit. */
export async function endToEnd(opts: { quick: boolean; backend: string }): Promise<EndToEndResult> {
  const rounds = opts.quick ? 2 : 3;
  const iterations = opts.quick ? 100 : 600;
  const args = ['run', '--preset', 'lenet300-mnist', '--trials', '1', '--rounds', String(rounds), '--iterations', String(iterations), '--controls', 'reinit', '--json'];
  const home = mkdtempSync(join(tmpdir(), 'lth-bench-e2e-'));
  try {
    const r = await spawnCli(['--backend', opts.backend, ...args], { LTH_HOME: home, LTH_DB: '' });
    if (r.code !== 0) throw new Error(`lth ${args.join(' ')} exited with ${r.code}: ${r.stderr}`);
    let status = 'completed (output not JSON)';
    let runs: number | null = null;
    let acc: number | null = null;
    try {
      const out = JSON.parse(r.stdout) as { status: string; results: { variant: string; finalTestAccuracy: number }[] };
      status = out.status;
      runs = out.results.length;
      acc = out.results.filter((x) => x.variant === 'ticket').at(-1)?.finalTestAccuracy ?? null;
    } catch {
      /* keep the wall time */
    }
    return { command: `lth ${args.filter((a) => a !== '--json').join(' ')}`, wallSeconds: Number((r.wallMs / 1000).toFixed(1)), status, runs, finalTestAccuracy: acc };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
