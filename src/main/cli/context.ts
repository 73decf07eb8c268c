import type { Command } from 'commander';
import path from 'node:path';
import { BACKEND_CHOICES, releaseBackend, type BackendChoice } from '../engine/backend';
import { createLabServices, type LabRuntime } from '../services';
import { CliError } from './errors';

export interface GlobalOptions {
  db?: string;
  backend?: string;
  workers?: number;
}

/** Opens the services a command needs with the global flags (--db, --backend) and closes them after. */
export async function withServices<T>(cmd: Command, fn: (services: LabRuntime) => Promise<T>, trains = false): Promise<T> {
  const g = cmd.optsWithGlobals() as GlobalOptions;
  const backend = (g.backend ?? 'auto') as BackendChoice;
  if (!BACKEND_CHOICES.includes(backend)) throw new CliError(`--backend: unknown backend '${g.backend}': use one of ${BACKEND_CHOICES.join(', ')}`);
  const services = await createLabServices({
    dbPath: g.db,
    backend,
    runner: 'inline',
    lazyBackend: !trains,
    workers: g.workers,
    // dist/worker.js sits beside dist/cli.js.
    workerEntry: path.join(__dirname, 'worker.js'),
  });
  try {
    // A GPU backend that is installed but failed is said first, with what trains instead (never silent).
    const note = trains ? (await services.backend()).note : null;
    if (note) process.stderr.write(`lth: warning: ${note}\n`);
    return await fn(services);
  } finally {
    await services.close();
    // A WebGPU device keeps Node's event loop alive: destroy it so the CLI exits.
    releaseBackend();
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
