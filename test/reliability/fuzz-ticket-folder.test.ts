import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, StoreError, type Store } from '../../src/main/store';
import { mlpLayers, mlpSpec, randomMask, randomWeights, run } from '../store/helpers';
import { cleanupTemps, SEED, tempDir } from './helpers';

/*
 * An exported ticket folder, damaged every way fast-check can think of: files truncated, extended, bit-flipped,
 * removed, swapped for symlinks or folders; ticket.json fields replaced; and binary files changed with their size
 * and sha256 in ticket.json updated to match (so the deeper checks are reached). Import either accepts a ticket
 * that then loads whole, or throws a StoreError naming the folder and the problem, and writes nothing.
 */
const N = 1500;
const FILES = ['ticket.json', 'model.json', 'weights.bin', 'rewind.bin', 'mask.bin'] as const;
type Files = Record<(typeof FILES)[number], Buffer>;

let store: Store;
let original: Files;
let root: string;
let cases = 0;

beforeAll(() => {
  const home = tempDir();
  store = openStore({ dataDir: home, dbPath: join(home, 'lth.sqlite') });
  const layers = mlpLayers();
  const id = store.experiments.create({ spec: mlpSpec({ trials: 1 }), datasetHash: 'h'.repeat(64), versions: { lthLab: 't', tfjs: 't' }, layers, status: 'completed' }).id;
  store.artifacts.saveWeights(id, 0, 'rewind', 0, randomWeights(layers, 5));
  const mask = randomMask(layers, 0.6, 9);
  store.artifacts.saveMask(id, 0, 1, mask);
  store.artifacts.saveWeights(id, 0, 'trained', 1, randomWeights(layers, 6));
  const density = mask.map((m) => m.reduce((a, v) => a + v, 0) / m.length);
  const kept = mask.reduce((a, m) => a + m.reduce((s, v) => s + v, 0), 0) / 62;
  store.db.transaction(() => store.runs.save(id, run(0, 'ticket', 1, { weightsRemaining: kept, layerDensity: density })))();
  const t = store.tickets.save(id, 0, 1, 'fuzzed');
  const folder = store.exportTicket(t.id, join(tempDir(), 'ticket'));
  store.tickets.delete(t.id);
  original = Object.fromEntries(FILES.map((f) => [f, readFileSync(join(folder, f))])) as Files;
  root = tempDir();
});
afterAll(() => {
  store.close();
  cleanupTemps();
});

type Mutation =
  | { kind: 'truncate'; file: number; at: number }
  | { kind: 'flip'; file: number; at: number[]; xor: number }
  | { kind: 'append'; file: number; junk: Uint8Array }
  | { kind: 'remove'; file: number }
  | { kind: 'symlink'; file: number; to: number }
  | { kind: 'folder'; file: number }
  | { kind: 'json'; path: number; value: unknown; del: boolean }
  | { kind: 'rehash'; file: number; at: number[]; xor: number; grow: number };

const fileIx = fc.nat(FILES.length - 1);
const binIx = fc.integer({ min: 1, max: FILES.length - 1 });
const nasty = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom(null, -1, 0, 1, 1.5, 1e308, -0, 2 ** 53, '', '../../../etc/passwd', '/etc/passwd', 't_../x', 'x'.repeat(300), [], {}, [1, 2, 3]),
);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), file: fileIx, at: fc.nat() }),
  fc.record({ kind: fc.constant('flip' as const), file: fileIx, at: fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('append' as const), file: fileIx, junk: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  fc.record({ kind: fc.constant('remove' as const), file: fileIx }),
  fc.record({ kind: fc.constant('symlink' as const), file: fileIx, to: fileIx }),
  fc.record({ kind: fc.constant('folder' as const), file: fileIx }),
  fc.record({ kind: fc.constant('json' as const), path: fc.nat(), value: nasty, del: fc.boolean() }),
  fc.record({ kind: fc.constant('rehash' as const), file: binIx, at: fc.array(fc.nat(), { maxLength: 8 }), xor: fc.integer({ min: 1, max: 255 }), grow: fc.integer({ min: -8, max: 8 }) }),
);

function jsonPaths(v: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (v === null || typeof v !== 'object') return [prefix];
  const out = [prefix];
  for (const [k, c] of Object.entries(v)) out.push(...jsonPaths(c, [...prefix, Array.isArray(v) ? Number(k) : k]));
  return out;
}

/** Writes the mutated folder; returns its path. */
function materialize(muts: Mutation[]): string {
  const dir = join(root, `case-${cases++}`);
  mkdirSync(dir);
  const files: Partial<Record<string, Buffer>> = { ...original };
  const special: Record<string, 'remove' | 'folder' | { link: string }> = {};
  const meta = () => JSON.parse(files['ticket.json']!.toString('utf8')) as Record<string, any>;
  for (const m of muts) {
    if (m.kind === 'json') {
      let j: any;
      try {
        j = meta();
      } catch {
        continue;
      }
      const ps = jsonPaths(j).filter((p) => p.length > 0);
      const p = ps[m.path % ps.length]!;
      let o = j;
      for (const k of p.slice(0, -1)) o = o[k];
      if (m.del) delete o[p.at(-1)!];
      else o[p.at(-1)!] = m.value;
      files['ticket.json'] = Buffer.from(JSON.stringify(j));
      continue;
    }
    const name = FILES[m.file]!;
    const b = files[name];
    if (m.kind === 'remove' || m.kind === 'folder') special[name] = m.kind;
    else if (m.kind === 'symlink') special[name] = { link: FILES[m.to]! === name ? '/etc/hostname' : FILES[m.to]! };
    else if (!b) continue;
    else if (m.kind === 'truncate') files[name] = b.subarray(0, m.at % Math.max(1, b.length));
    else if (m.kind === 'append') files[name] = Buffer.concat([b, Buffer.from(m.junk)]);
    else if (m.kind === 'flip' || m.kind === 'rehash') {
      let c = Buffer.from(b);
      for (const at of m.at) if (c.length) c[at % c.length] = c[at % c.length]! ^ m.xor;
      if (m.kind === 'rehash') {
        c = m.grow >= 0 ? Buffer.concat([c, Buffer.alloc(m.grow)]) : c.subarray(0, Math.max(0, c.length + m.grow));
        try {
          const j = meta();
          j.files[name] = { bytes: c.length, sha256: createHash('sha256').update(c).digest('hex') };
          files['ticket.json'] = Buffer.from(JSON.stringify(j));
        } catch {
          /* ticket.json already damaged */
        }
      }
      files[name] = c;
    }
  }
  for (const name of FILES) {
    const s = special[name];
    if (s === 'remove') continue;
    if (s === 'folder') mkdirSync(join(dir, name));
    else if (s) symlinkSync(s.link, join(dir, name));
    else writeFileSync(join(dir, name), files[name]!);
  }
  return dir;
}

describe('imported ticket folders under mutation fuzzing', () => {
  it(`${N} damaged folders: a StoreError naming the folder and the problem, never a row; or a ticket that loads whole`, () => {
    const writes = () => (store.db.prepare('SELECT total_changes() AS n').get() as { n: number }).n;
    const tally = { refused: 0, accepted: 0 };
    const reasons = new Map<string, number>();
    let slowest = 0;
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (muts) => {
        const dir = materialize(muts);
        const before = writes();
        const t0 = performance.now();
        try {
          const t = store.importTicket(dir);
          tally.accepted++;
          const loaded = store.tickets.load(t.id);
          expect(loaded.layers).toEqual(mlpLayers());
          store.tickets.delete(t.id);
        } catch (e) {
          expect(e, String(e)).toBeInstanceOf(StoreError);
          const err = e as StoreError;
          expect(err.code).toBe('ticket-folder');
          expect(err.message.startsWith(`ticket folder ${dir}: `)).toBe(true);
          expect(err.message).not.toMatch(/\n/);
          expect(writes()).toBe(before);
          const reason = err.message.slice(`ticket folder ${dir}: `.length).replace(/\d+/g, 'N').slice(0, 60);
          reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
          tally.refused++;
        }
        slowest = Math.max(slowest, performance.now() - t0);
        expect(store.tickets.list()).toEqual([]);
      }),
      { numRuns: N, seed: SEED + 10 },
    );
    expect(store.integrityProblems()).toEqual([]);
    console.log(
      `[reliability] fuzz ticket folders: ${N} cases, ${tally.refused} refused with a StoreError (${reasons.size} distinct messages), ` +
        `${tally.accepted} accepted and loaded; slowest import ${slowest.toFixed(0)} ms`,
    );
    expect(tally.refused).toBeGreaterThan(N * 0.8);
    expect(readdirSync(root).length).toBe(N);
  });
});
