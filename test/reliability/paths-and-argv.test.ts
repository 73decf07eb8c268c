import fc from 'fast-check';
import { copyFileSync, lstatSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLabServices, type LabRuntime } from '../../src/main/services';
import { makeIdxData, writeIdxFolder } from '../data/fixtures';
import { cleanupTemps, dumpDb, lth, rawDb, SEED, tempDir } from './helpers';

afterAll(() => cleanupTemps());

/** Every path under `dir` (symlinks not followed), relative to it. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      out.push(relative(dir, p));
      if (lstatSync(p).isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

describe('imported files never write outside the data directory', () => {
  let root: string;
  let home: string;
  let services: LabRuntime;
  beforeAll(async () => {
    // One root holding the data directory, the source folders and a bystander folder: everything written must
    // land in <home>/datasets/<id>/ (or the database beside it).
    root = tempDir();
    home = join(root, 'home');
    mkdirSync(join(root, 'bystander'));
    writeFileSync(join(root, 'bystander', 'keep.txt'), 'keep');
    services = await createLabServices({ home, backend: 'cpu', runner: 'inline', lazyBackend: true, workers: 1 });
  });
  afterAll(() => services.close());

  const hostileNames = ['../../escape', '/etc/cron.d/x', '..', '.', 'a/../../../b', '..\\..\\win', 'C:\\Windows\\x', '~/.ssh/authorized_keys', 'name\u0000.txt', '\u202e gnp.exe', ' ', 'x'.repeat(500)];

  it(`dataset import under ${hostileNames.length} hostile names and from a folder of symlinks stays inside <data dir>/datasets`, async () => {
    const src = join(root, 'src');
    mkdirSync(src);
    writeIdxFolder(src, makeIdxData(40, 10, 6, 6, 10, 3));
    // A second source whose files are symlinks (to the first source) plus junk names that must not be copied.
    const links = join(root, 'links');
    mkdirSync(links);
    for (const f of readdirSync(src)) symlinkSync(join(src, f), join(links, f));
    symlinkSync('/etc', join(links, '..%2f..%2fetc'));
    writeFileSync(join(links, '..evil'), 'x');
    const outside = () => tree(root).filter((p) => !p.startsWith(`home${sep}`) && p !== 'home');
    const before = outside();
    const datasets = resolve(home, 'datasets');
    let imported = 0;
    for (const [i, name] of hostileNames.entries()) {
      const d = await services.datasets.import('idx', i % 2 ? links : src, name);
      imported++;
      const folder = resolve(services.store.datasets.folder(d.id) ?? '');
      expect(folder.startsWith(datasets + sep), `${JSON.stringify(name)} -> ${folder}`).toBe(true);
      expect(d.id).toMatch(/^[a-z0-9][a-z0-9-]*-[0-9a-f]{10}$/);
      // Only the loader's canonical file names, never a name read from the source folder.
      expect(readdirSync(folder).sort()).toEqual(['classes.txt', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte', 'train-images-idx3-ubyte', 'train-labels-idx1-ubyte']);
      for (const f of readdirSync(folder)) expect(lstatSync(join(folder, f)).isFile()).toBe(true);
    }
    expect(outside()).toEqual(before);
    expect(tree(home).every((p) => p === 'lth.sqlite' || p.startsWith('lth.sqlite-') || p === 'datasets' || p.startsWith(`datasets${sep}`))).toBe(true);
    console.log(`[reliability] paths: ${imported} dataset imports under hostile names/symlinked sources; every file inside ${datasets}; nothing else written`);
  });

  it('ticket import writes no file at all; a symlinked or traversing name inside the folder is refused', async () => {
    const v1 = join(tempDir(), 'v1.sqlite');
    copyFileSync(resolve(__dirname, '../fixtures/db/lth-v1.db'), v1);
    const { openStore } = await import('../../src/main/store');
    const src = openStore({ dataDir: tempDir(), dbPath: v1 });
    const ticket = src.tickets.list()[0]!;
    const folder = src.exportTicket(ticket.id, join(root, 'exported'));
    src.close();
    const before = tree(root).filter((p) => !p.startsWith(`home${sep}`));
    const t = await services.tickets.import(folder);
    expect(t.id).toMatch(/^t_/);
    expect(tree(root).filter((p) => !p.startsWith(`home${sep}`))).toEqual(before);
    // The same folder with mask.bin as a symlink to a file elsewhere: refused, nothing read through it.
    const linked = join(root, 'linked');
    mkdirSync(linked);
    for (const f of readdirSync(folder)) copyFileSync(join(folder, f), join(linked, f));
    const real = join(root, 'bystander', 'mask.bin');
    copyFileSync(join(folder, 'mask.bin'), real);
    const { rmSync } = await import('node:fs');
    rmSync(join(linked, 'mask.bin'));
    symlinkSync(real, join(linked, 'mask.bin'));
    await expect(services.tickets.import(linked)).rejects.toThrow(/mask\.bin is a symbolic link: refused/);
  });
});

describe('CLI flags through the real binary (fuzzed, small: each case is a process)', () => {
  const CASES = 30;
  it(`${CASES} random invalid command lines: non-zero exit, one error line, no store change`, () => {
    const home = tempDir();
    copyFileSync(resolve(__dirname, '../fixtures/db/lth-v1.db'), join(home, 'lth.sqlite'));
    // First open migrates the copy and settles the dead run: the snapshot is taken after that.
    expect(lth(['experiments', 'list'], home).status).toBe(0);
    const snapshot = () => {
      const d = rawDb(join(home, 'lth.sqlite'), true);
      try {
        return dumpDb(d);
      } finally {
        d.close();
      }
    };
    const before = snapshot();
    const junk = fc.oneof(fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !s.startsWith('-')), fc.constantFrom('../../etc', '/dev/null', '\u00e9\u0301', 'e_', 't_', 'NaN', '-1', '1e999', ' '));
    const bad = fc.oneof(
      fc.tuple(fc.constantFrom(['experiments', 'show'], ['experiments', 'delete'], ['tickets', 'show'], ['tickets', 'delete'], ['tickets', 'export'], ['resume'], ['datasets', 'show']), junk).map(([c, a]) => [...c, `zz${a}`]),
      fc.tuple(fc.constantFrom('--iterations', '--rounds', '--lr', '--batch-size', '--rate-dense', '--trials', '--seed', '--controls', '--conv', '--dense', '--strategy', '--optimizer'), junk).map(([f, v]) => ['run', f, `${v}x`]),
      fc.tuple(fc.constantFrom('idx', 'cifar10', 'zip'), junk).map(([k, p]) => ['datasets', 'import', k, join(home, 'missing', p)]),
      fc.tuple(junk, junk).map(([a, b]) => ['tickets', 'import', join(home, 'nope', a, b)]),
      fc.tuple(fc.constantFrom('--bogus', '-z', '--db='), junk).map(([f, v]) => ['experiments', 'list', f, v]),
      junk.map((c) => [`zz${c}`]),
      fc.tuple(junk).map(([v]) => ['tickets', 'update', `t_zz${v}`, '--name', '']),
    );
    const tally: Record<string, number> = {};
    let n = 0;
    fc.assert(
      fc.property(bad, (argv) => {
        n++;
        const r = lth(argv, home, {}, 60_000);
        expect(r.signal, argv.join(' ')).toBeNull();
        expect(r.status, `${argv.join(' ')}\n${r.stderr}`).not.toBe(0);
        expect(r.stdout).toBe('');
        const lines = r.stderr.trim().split('\n');
        expect(lines[0], argv.join(' ')).toMatch(/^(lth: |error: )\S/);
        // Commander adds "(run lth --help for usage)" after a usage error.
        expect(lines.length, r.stderr).toBeLessThanOrEqual(2);
        expect(r.stderr).not.toMatch(/\n\s+at /);
        tally[String(r.status)] = (tally[String(r.status)] ?? 0) + 1;
      }),
      { numRuns: CASES, seed: SEED + 30 },
    );
    expect(snapshot()).toBe(before);
    console.log(`[reliability] fuzz CLI argv: ${n} command lines through the real binary, exit codes ${JSON.stringify(tally)}, store unchanged`);
  }, 240_000);
});
