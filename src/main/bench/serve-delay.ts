import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import WebSocket from 'ws';
import { startServer } from '../server/server';
import { createLabServices } from '../services';
import { WS_PATH } from '../../shared/api/wire';
import { distDir } from './child';
import { benchSpec } from './networks';

export interface ServeDelayResult {
  /** Event-loop delay beyond the 1 ms sampling timer, while the experiment trained. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  trainingSeconds: number;
  eventsToClient: number;
  experiment: string;
}

const RESOLUTION_MS = 1;

/**
 * What `lth serve` runs: createLabServices({ runner: 'child' }) and startServer in this process, one WebSocket
 * client subscribed to events, and an experiment training in the worker process (which forks pool trainers
 * for the control, one per core). The event-loop delay of this process is sampled from the first progress
 * event to the end.
 */
export async function serveDelay(opts: { quick: boolean; backend: 'auto' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu' }): Promise<ServeDelayResult> {
  const home = mkdtempSync(join(tmpdir(), 'lth-bench-serve-'));
  const dist = distDir();
  const services = await createLabServices({ home, dbPath: join(home, 'lth.sqlite'), backend: opts.backend, runner: 'child', workerEntry: join(dist, 'worker.js') });
  const server = await startServer(services, { staticDir: join(dist, '..', 'out', 'renderer') });
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}${WS_PATH}?token=${server.token}`);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let events = 0;
  ws.on('message', () => events++);
  const h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  let started = 0;
  const unsubscribe = services.subscribe((e) => {
    if (e.type === 'progress' && started === 0) {
      started = performance.now();
      h.enable();
    }
  });
  try {
    const iterations = opts.quick ? 200 : 1500;
    const spec = benchSpec('lenet300', { iterations, rounds: 2, evalInterval: 100, validationSize: 5000, controls: ['reinit'] });
    const e = services.experiments.create(spec);
    const status = await services.waitFor(e.id);
    h.disable();
    if (status !== 'completed') throw new Error(`bench: the served experiment ended ${status}`);
    const ms = (ns: number) => Number(Math.max(0, ns / 1e6 - RESOLUTION_MS).toFixed(2));
    return {
      p50Ms: ms(h.percentile(50)),
      p99Ms: ms(h.percentile(99)),
      maxMs: ms(h.max),
      meanMs: ms(h.mean),
      trainingSeconds: Number(((performance.now() - started) / 1000).toFixed(1)),
      eventsToClient: events,
      experiment: `LeNet-300-100, 2 rounds x ${iterations} iterations, reinit control, eval every 100 (5000 val + 10000 test)`,
    };
  } finally {
    unsubscribe();
    ws.close();
    await server.close();
    await services.close();
    rmSync(home, { recursive: true, force: true });
  }
}
