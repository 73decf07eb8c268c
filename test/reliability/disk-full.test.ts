import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLabServices } from '../../src/main/services';
import { openStore, StoreError } from '../../src/main/store';
import type { LabEvent } from '../../src/shared/events';
import { skipUnlessCi } from '../ci-required';
import { canMountLoop, cleanupTemps, dumpDb, integrity, json, lth, rawDb, tempDir, withoutDuration } from './helpers';

afterAll(() => cleanupTemps());

const SMALL_SPEC = {
  name: 'disk full',
  dataset: 'mnist',
  network: { dense: [40] },
  training: { learningRate: 0.0012, batchSize: 60, iterations: 200, evalInterval: 100, validationSize: 1000 },
  pruning: { rates: { conv: 0, dense: 0.2, output: 0.1 }, rounds: 3 },
  seed: 3,
};

/** Runs SMALL_SPEC until the dense round is stored, then lets the database grow by not one page; resumes with room. */
async function fullThenResume() {
  const home = tempDir();
  const services = await createLabServices({ home, backend: 'wasm', runner: 'inline', workers: 1 });
  try {
    const db = services.store.db;
    let capped = 0;
    services.subscribe((e: LabEvent) => {
      if (e.type === 'run-complete' && capped === 0) {
        capped = db.pragma('page_count', { simple: true }) as number;
        db.pragma(`max_page_count = ${capped}`);
      }
    });
    const exp = services.experiments.create(SMALL_SPEC);
    const status = await services.waitFor(exp.id);
    const failed = services.store.experiments.get(exp.id);
    const problemsWhenFull = services.store.integrityProblems();
    const kept = services.store.experimentDetail(exp.id).runs;
    db.pragma('max_page_count = 1073741823');
    services.experiments.resume(exp.id);
    const resumedStatus = await services.waitFor(exp.id);
    const after = services.store.experimentDetail(exp.id).runs;
    return { capped, status, failed, problemsWhenFull, kept, resumedStatus, after, problemsAfter: services.store.integrityProblems() };
  } finally {
    await services.close();
  }
}

describe('SQLite max_page_count: the database cannot grow', () => {
  it('fails the experiment with a clear error, corrupts nothing, and resumes once the limit is raised', async () => {
    const r = await fullThenResume();
    expect(r.capped).toBeGreaterThan(0);
    expect(r.status).toBe('failed');
    expect(r.failed.status).toBe('failed');
    expect(r.failed.error).toMatch(/database or disk is full/);
    expect(r.failed.error!.split('\n')).toHaveLength(1);
    expect(r.problemsWhenFull).toEqual([]);
    expect(r.kept.map((x) => x.round)).toEqual([0]);
    // Space is back: the experiment continues from what was stored and finishes; the stored result is unchanged.
    expect(r.resumedStatus).toBe('completed');
    expect(r.after.map((x) => x.round)).toEqual([0, 1, 2]);
    expect(withoutDuration(r.after[0]!)).toEqual(withoutDuration(r.kept[0]!));
    expect(r.problemsAfter).toEqual([]);
    console.log(
      `[reliability] max_page_count: capped at ${r.capped} pages after round 0; failed with "${r.failed.error}"; resumed to 3 runs; ` +
        `round 0 ${r.after[0]!.durationMs === r.kept[0]!.durationMs ? 'kept' : 'RETRAINED (finding)'}`,
    );
  }, 240_000);

  // KNOWN BUG (reported, engine code not ours): imp.ts saves a ticket run (sink.saveRun) and then, in a separate
  // transaction, its trained weights (sink.saveTrainedWeights). When the second save fails (full disk, or a kill in
  // between), resume finds the run but not the weights the next mask needs and trains the whole round again, replacing
  // the stored run. Saving the trained weights before (or with) the run fixes it; then remove `.fails`.
  it('a round whose run was stored is not trained again on resume', async () => {
    const r = await fullThenResume();
    expect(r.after[0]!.durationMs).toBe(r.kept[0]!.durationMs);
  }, 240_000);
});

describe('a data directory that cannot be created', () => {
  it('under a regular file: one clear line from the CLI and the store, nothing created', () => {
    const dir = tempDir();
    const file = join(dir, 'not-a-folder');
    writeFileSync(file, 'x');
    for (const home of [join(file, 'lth'), file]) {
      const r = lth(['experiments', 'list'], home);
      expect(r.status).not.toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(home === file ? /cannot create data directory .*: it exists and is not a directory/ : /cannot create data directory .*not-a-folder is not a directory/);
      let err: unknown;
      try {
        openStore({ dataDir: home }).close();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(StoreError);
      expect((err as StoreError).code).toBe('path');
    }
    expect(readdirSync(dir)).toEqual(['not-a-folder']);
  });
});

/*
 * A real tiny filesystem: an ext4 image on a loop device, filled with a ballast file so that only a little space
 * is left. Needs root with mount rights (true on the project machines and in CI, where not having them fails the
 * file: test/ci-required.ts); skipped, saying why, elsewhere.
 */
const loop = canMountLoop();
const noLoop = skipUnlessCi('the loop-mounted full filesystem', loop.ok ? null : loop.why);
const onLoop = noLoop === null ? it : it.skip;
const skipNote = noLoop === null ? '' : ` (skipped: ${noLoop})`;

function mountTiny(mb: number): { mnt: string; fill: (leaveBytes: number) => void; free: () => void; unmount: () => void } {
  const base = tempDir();
  const img = join(base, 'fs.img');
  const mnt = join(base, 'mnt');
  mkdirSync(mnt);
  const sh = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  };
  sh('truncate', ['-s', `${mb}M`, img]);
  sh('mkfs.ext4', ['-q', '-F', '-m', '0', img]);
  sh('mount', ['-o', 'loop', img, mnt]);
  const ballast = join(mnt, 'ballast');
  return {
    mnt,
    fill: (leave) => {
      rmSync(ballast, { force: true });
      const avail = Number(statfsSync(mnt).bavail) * Number(statfsSync(mnt).bsize);
      sh('fallocate', ['-l', String(Math.max(0, avail - leave)), ballast]);
    },
    free: () => rmSync(ballast, { force: true }),
    unmount: () => {
      spawnSync('umount', [mnt]);
      rmSync(base, { recursive: true, force: true });
    },
  };
}

describe(`a full filesystem${skipNote}`, () => {
  onLoop('lth run on a full disk: a clear error, no corruption, and `lth resume` finishes once space is freed', () => {
    const fs = mountTiny(40);
    try {
      const home = join(fs.mnt, 'lth');
      // Enough for the database and the dense round's first saves, not for a run of LeNet-300-100 with checkpoints.
      mkdirSync(home);
      fs.fill(2.5 * 1024 * 1024);
      const env = { LTH_CHECKPOINT_SECONDS: '0.3' };
      const args = ['--preset', 'lenet300-mnist', '--trials', '1', '--rounds', '2', '--iterations', '200', '--eval-interval', '100', '--validation-size', '2000', '--controls', 'none', '--backend', 'wasm'];
      const r = lth(['run', ...args], home, env);
      expect(r.status, r.stderr).toBe(1);
      const lines = r.stderr.trim().split('\n').filter((l) => l.startsWith('lth:'));
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/^lth: experiment e_[0-9a-z]+ failed: .*(database or disk is full|ENOSPC|no space left)/i);
      const id = /experiment (e_[0-9a-z]+) failed/.exec(lines[0]!)![1]!;

      fs.free();
      const db = join(home, 'lth.sqlite');
      expect(integrity(db)).toEqual([]);
      const before = json<{ status: string; runs: unknown[] }>(lth(['experiments', 'show', id, '--json'], home));
      expect(before.status).toBe('failed');
      const resumed = json(lth(['resume', id, '--json'], home, env));
      expect(resumed.status).toBe('completed');
      expect(resumed.results).toHaveLength(2);
      expect(integrity(db)).toEqual([]);
      console.log(`[reliability] full ext4 image: run failed with "${lines[0]}" after ${before.runs.length} run(s); resumed to completion after freeing space`);
    } finally {
      fs.unmount();
    }
  }, 300_000);

  onLoop('upgrading a v1 database with no room for the backup: refused before migrating, the file left as it was', () => {
    const fs = mountTiny(8);
    try {
      const home = join(fs.mnt, 'lth');
      mkdirSync(home);
      const db = join(home, 'lth.sqlite');
      copyFileSync(join(__dirname, '../fixtures/db/lth-v1.db'), db);
      const dump = () => {
        const raw = rawDb(db, true);
        try {
          return { version: raw.pragma('user_version', { simple: true }), rows: dumpDb(raw) };
        } finally {
          raw.close();
        }
      };
      const before = dump();
      fs.fill(16 * 1024);
      expect(() => openStore({ dataDir: home, dbPath: db }).close()).toThrow(/cannot back up database .* before upgrading it: .*(full|space)/i);
      // No partial backup that could later pass for a good one (fixed in src/main/store/db.ts), no WAL left open.
      expect(readdirSync(home)).toEqual(['lth.sqlite']);
      // Still version 1 with every row. (The file itself is not byte-identical: openDatabase
      // switches it to WAL mode before backing up, which rewrites two header bytes. Reported, harmless to the data.)
      expect(dump()).toEqual(before);
      expect(before.version).toBe(1);
      fs.free();
      const store = openStore({ dataDir: home, dbPath: db });
      expect(store.backupPath).not.toBeNull();
      expect(store.experiments.list()).toHaveLength(4);
      store.close();
    } finally {
      fs.unmount();
    }
  });

  onLoop('exporting a ticket and importing a dataset onto a full disk: a clear error and no partial folder', async () => {
    const fs = mountTiny(8);
    const home = tempDir();
    const services = await createLabServices({ home, backend: 'cpu', runner: 'inline', lazyBackend: true, workers: 1 });
    try {
      // A ticket from the v1 fixture (copied into this store's database through a migration).
      const v1 = join(tempDir(), 'v1.sqlite');
      copyFileSync(join(__dirname, '../fixtures/db/lth-v1.db'), v1);
      const src = openStore({ dataDir: home, dbPath: v1 });
      const t = src.tickets.list()[0]!;
      fs.fill(8 * 1024);
      const target = join(fs.mnt, 'exported');
      expect(() => src.exportTicket(t.id, target)).toThrow(new RegExp(`cannot export ticket ${t.id} to ${target}: .*ENOSPC`));
      src.close();
      expect(readdirSync(fs.mnt).sort()).toEqual(['ballast', 'lost+found']);

      // A dataset import whose destination (the store's datasets folder) is on the full disk.
      const folder = tempDir();
      const { makeIdxData, writeIdxFolder } = await import('../data/fixtures');
      writeIdxFolder(folder, makeIdxData(400, 100, 28, 28));
      const store = openStore({ dataDir: fs.mnt, dbPath: join(home, 'ds.sqlite') });
      const { importDataset } = await import('../../src/main/services/datasets');
      await expect(importDataset(store, 'idx', folder, 'too big')).rejects.toThrow(/import failed: .*ENOSPC/);
      expect(existsSync(store.datasetsDir) ? readdirSync(store.datasetsDir) : []).toEqual([]);
      expect(store.datasets.list().map((d) => d.id)).toEqual([]);
      store.close();
    } finally {
      await services.close();
      fs.unmount();
    }
  });
});
