import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_DATASET_FILE_BYTES, readDatasetFile } from '../../src/main/engine/data';
import { DatasetError } from '../../src/main/engine/data/errors';
import { startServer } from '../../src/main/server/server';
import { createLabServices, type LabRuntime } from '../../src/main/services';
import { MAX_BIN_BYTES, MAX_JSON_BYTES, openStore, StoreError } from '../../src/main/store';
import { makeCifarData, makeIdxData, writeCifarFolder, writeIdxFolder } from '../data/fixtures';
import { mlpLayers, mlpSpec, randomMask, randomWeights, run } from '../store/helpers';
import { cleanupTemps, lth, tempDir } from './helpers';

/*
 * The documented limits: dataset files 2 GiB after gunzip (MAX_DATASET_FILE_BYTES, engine/data/file-bytes.ts),
 * ticket folder JSON files 8 MiB and binaries 512 MiB (MAX_JSON_BYTES, MAX_BIN_BYTES, store/ticket-folder.ts),
 * API requests 1 MiB (HTTP body and WebSocket frame, server.ts). Oversized inputs are sparse files here: 3 GiB on
 * disk costs nothing, and a refusal that read them would take seconds and gigabytes. Each refusal must be fast
 * and allocate next to nothing.
 */
const GIB3 = 3 * 1024 ** 3;
let services: LabRuntime;

beforeAll(async () => {
  services = await createLabServices({ home: tempDir(), backend: 'cpu', runner: 'inline', lazyBackend: true, workers: 1 });
});
afterAll(async () => {
  await services.close();
  cleanupTemps();
});

function sparse(path: string, bytes: number): void {
  writeFileSync(path, '');
  truncateSync(path, bytes);
}

/** Runs fn, returning its duration and how much the process's memory grew meanwhile. */
async function measured<T>(fn: () => Promise<T> | T): Promise<{ ms: number; grewMb: number; result?: T; error?: unknown }> {
  global.gc?.();
  const m0 = process.memoryUsage();
  const t = performance.now();
  let result: T | undefined;
  let error: unknown;
  try {
    result = await fn();
  } catch (e) {
    error = e;
  }
  const ms = performance.now() - t;
  const m1 = process.memoryUsage();
  const grewMb = (Math.max(m1.rss - m0.rss, 0) + Math.max(m1.arrayBuffers - m0.arrayBuffers, 0)) / 1024 ** 2;
  return { ms, grewMb, result, error };
}

const figures: string[] = [];
afterAll(() => console.log(`[reliability] limits:\n  ${figures.join('\n  ')}`));

describe('oversized inputs are refused before they are read', () => {
  it(`a 3 GiB dataset file (limit ${MAX_DATASET_FILE_BYTES / 1024 ** 3} GiB): DatasetError at once`, async () => {
    const f = join(tempDir(), 'train-images-idx3-ubyte');
    sparse(f, GIB3);
    const r = await measured(() => readDatasetFile(f));
    expect(r.error).toBeInstanceOf(DatasetError);
    expect((r.error as Error).message).toMatch(/too large: 3\.0 GiB, the limit is 2\.0 GiB/);
    expect(r.ms).toBeLessThan(2000);
    expect(r.grewMb).toBeLessThan(64);
    figures.push(`dataset file 3 GiB: refused in ${r.ms.toFixed(1)} ms, +${r.grewMb.toFixed(1)} MB`);
  });

  it('importing an IDX folder or a CIFAR-10 folder with one 3 GiB file: refused at once, nothing copied', async () => {
    for (const kind of ['idx', 'cifar10'] as const) {
      const folder = tempDir();
      if (kind === 'idx') {
        writeIdxFolder(folder, makeIdxData(50, 20, 8, 8));
        sparse(join(folder, 't10k-images-idx3-ubyte'), GIB3);
      } else {
        writeCifarFolder(folder, makeCifarData(5));
        sparse(join(folder, 'data_batch_3.bin'), GIB3);
      }
      const r = await measured(() => services.datasets.import(kind, folder, `huge ${kind}`));
      expect(r.error, String(r.result)).toBeInstanceOf(DatasetError);
      expect((r.error as Error).message).toMatch(/too large: 3\.0 GiB/);
      expect(r.ms).toBeLessThan(5000);
      expect(r.grewMb).toBeLessThan(64);
      const ds = services.store.datasetsDir;
      expect(existsSync(ds) ? readdirSync(ds) : []).toEqual([]);
      figures.push(`${kind} folder with a 3 GiB file: refused in ${r.ms.toFixed(1)} ms, +${r.grewMb.toFixed(1)} MB`);
    }
  });

  it(`a ticket folder with a 3 GiB weights.bin (limit ${MAX_BIN_BYTES / 1024 ** 2} MiB) or a 9 MiB ticket.json (limit ${MAX_JSON_BYTES / 1024 ** 2} MiB): refused at once`, async () => {
    const home = tempDir();
    const store = openStore({ dataDir: home, dbPath: join(home, 'lth.sqlite') });
    try {
      const layers = mlpLayers();
      const id = store.experiments.create({ spec: mlpSpec(), datasetHash: 'h', versions: { lthLab: 't', tfjs: 't' }, layers, status: 'completed' }).id;
      store.artifacts.saveWeights(id, 0, 'rewind', 0, randomWeights(layers, 1));
      const mask = randomMask(layers, 1, 1).map((m) => m.fill(1));
      store.artifacts.saveMask(id, 0, 0, mask);
      store.db.transaction(() => store.runs.save(id, run(0, 'ticket', 0, { weightsRemaining: 1, layerDensity: [1, 1, 1] })))();
      const t = store.tickets.save(id, 0, 0, 'big');
      for (const [file, bytes, pattern] of [
        ['weights.bin', GIB3, /weights\.bin has 3221225472 bytes, more than the 536870912 allowed/],
        ['rewind.bin', GIB3, /rewind\.bin has 3221225472 bytes, more than the 536870912 allowed/],
        ['ticket.json', 9 * 1024 ** 2, /ticket\.json has 9437184 bytes, more than the 8388608 allowed/],
        ['model.json', GIB3, /model\.json has 3221225472 bytes, more than the 8388608 allowed/],
      ] as const) {
        const folder = store.exportTicket(t.id, join(tempDir(), 'ticket'));
        sparse(join(folder, file), bytes);
        const r = await measured(() => store.importTicket(folder));
        expect(r.error).toBeInstanceOf(StoreError);
        expect((r.error as Error).message).toMatch(pattern);
        expect(r.ms).toBeLessThan(2000);
        expect(r.grewMb).toBeLessThan(64);
        figures.push(`ticket ${file} ${bytes >= GIB3 ? '3 GiB' : '9 MiB'}: refused in ${r.ms.toFixed(1)} ms, +${r.grewMb.toFixed(1)} MB`);
      }
      expect(store.tickets.list()).toHaveLength(1);
    } finally {
      store.close();
    }
  });

  it('an HTTP API body over 1 MiB is refused with 413 while streaming, without being parsed', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'index.html'), '<!doctype html>');
    const srv = await startServer(services, { staticDir: dir, port: 0, token: 't'.repeat(43) });
    try {
      const status = await new Promise<number>((res, rej) => {
        const req = request(
          { host: '127.0.0.1', port: srv.port, path: '/api/call/presets', method: 'POST', headers: { authorization: `Bearer ${srv.token}`, 'content-type': 'application/json' } },
          (r) => {
            r.resume();
            res(r.statusCode ?? 0);
          },
        );
        req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'EPIPE' || (e as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : rej(e)));
        // 8 MiB of JSON, in chunks: the server answers after the first MiB.
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        let sent = 0;
        const pump = () => {
          while (sent < 8 * 1024 ** 2) {
            sent += chunk.length;
            if (!req.write(chunk)) return req.once('drain', pump);
          }
          req.end();
        };
        pump();
      });
      expect(status).toBe(413);
      figures.push('HTTP API body 8 MiB (limit 1 MiB): 413');
    } finally {
      await srv.close();
    }
  });
});

describe('special files in an imported dataset folder', () => {
  it('a named pipe or a device in place of a data file is refused at once, not waited on', () => {
    for (const special of ['fifo', 'device'] as const) {
      const home = tempDir();
      const folder = tempDir();
      writeIdxFolder(folder, makeIdxData(50, 20, 8, 8));
      const target = join(folder, 'train-labels-idx1-ubyte');
      rmSync(target);
      if (special === 'fifo') {
        const mk = spawnSync('mkfifo', [target]);
        expect(mk.status).toBe(0);
      } else {
        spawnSync('ln', ['-s', '/dev/zero', target]);
      }
      const r = lth(['datasets', 'import', 'idx', folder, '--name', special], home, {}, 30_000);
      expect(r.signal, `lth hung on a ${special}: ${r.stderr}`).toBeNull();
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/train-labels-idx1-ubyte: not a regular file/);
      expect(r.ms).toBeLessThan(20_000);
      const ds = join(home, 'datasets');
      expect(existsSync(ds) ? readdirSync(ds) : []).toEqual([]);
      figures.push(`dataset ${special} in place of a file: refused in ${r.ms} ms (CLI)`);
    }
  }, 90_000);
});
