import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packMask, packWeights } from '../../src/main/store/blobs';
import { openStore } from '../../src/main/store';
import { parseSpec } from '../../src/shared/spec';
import type { LayerInfo } from '../../src/shared/results';
import { randomMask, randomWeights, run } from '../store/helpers';
import { bundleChild, cleanupTemps, rng, SEED, sleep, tempDir } from './helpers';

/*
 * A child process saves tickets from an experiment and imports an exported ticket folder in a loop; it is
 * SIGKILLed at random moments, which with ~2.4 MB per ticket row land inside the insert transaction often.
 * After every kill: the database passes integrity_check and foreign_key_check, every ticket row loads whole and
 * equals its source bit for bit, and exactly the tickets the child reported committed are there (plus at most
 * the one in flight, only if its commit completed).
 */
const KILLS = 30;
const ROUNDS = 3;
// LeNet-300-100's layers: a ticket row holds a 33 KB mask and two 1 MB weight blobs.
const LAYERS: LayerInfo[] = [
  { name: 'fc1', kind: 'dense', shape: [784, 300], weights: 235200, macsPerExample: 235200 },
  { name: 'fc2', kind: 'dense', shape: [300, 100], weights: 30000, macsPerExample: 30000 },
  { name: 'output', kind: 'output', shape: [100, 10], weights: 1000, macsPerExample: 1000 },
];

let child = '';
let home = '';
let experimentId = '';
let exported = '';
const expected = new Map<string, { mask: Buffer; rewind: Buffer; trained: Buffer | null }>();

beforeAll(async () => {
  child = await bundleChild('children/ticket-writer.ts');
  home = tempDir();
  const store = openStore({ dataDir: home, dbPath: join(home, 'lth.sqlite') });
  const spec = parseSpec({
    dataset: 'mnist',
    network: { preset: 'lenet300', dense: [300, 100] },
    training: { learningRate: 0.0012, batchSize: 60, iterations: 100 },
    pruning: { rates: { conv: 0, dense: 0.2, output: 0.1 }, rounds: ROUNDS },
  });
  experimentId = store.experiments.create({ spec, datasetHash: 'h', versions: { lthLab: 't', tfjs: 't' }, layers: LAYERS, status: 'completed' }).id;
  const rewind = randomWeights(LAYERS, 3);
  store.artifacts.saveWeights(experimentId, 0, 'rewind', 0, rewind);
  for (let r = 0; r < ROUNDS; r++) {
    const mask = randomMask(LAYERS, 0.8 ** r, 10 + r);
    const kept = mask.reduce((a, m) => a + m.reduce((s, v) => s + v, 0), 0) / LAYERS.reduce((a, l) => a + l.weights, 0);
    store.runs.save(experimentId, run(0, 'ticket', r, { weightsRemaining: kept, layerDensity: mask.map((m) => m.reduce((s, v) => s + v, 0) / m.length) }));
    store.artifacts.saveMask(experimentId, 0, r, mask);
    const trained = randomWeights(LAYERS, 20 + r);
    store.artifacts.saveWeights(experimentId, 0, 'trained', r, trained);
    expected.set(`saved:${r}`, { mask: packMask(mask, LAYERS), rewind: packWeights(rewind, LAYERS), trained: packWeights(trained, LAYERS) });
  }
  const t = store.tickets.save(experimentId, 0, ROUNDS - 1, 'to export');
  exported = store.exportTicket(t.id, join(tempDir(), 'ticket'));
  store.tickets.delete(t.id);
  // An import reads the weights file (trained weights, masked) and the rewind file back.
  const back = store.importTicket(exported);
  const b = store.tickets.blobs(back.id);
  expected.set('imported:-1', { mask: b.mask, rewind: b.rewindWeights, trained: b.trainedWeights });
  store.tickets.delete(back.id);
  store.close();
}, 120_000);
afterAll(() => cleanupTemps());

describe('SIGKILL while tickets are being saved and imported', () => {
  it(`leaves no partial ticket and a sound database after ${KILLS} kills`, async () => {
    const random = rng(SEED + 3);
    const committed = new Map<string, string>(); // id -> kind:round
    let inFlightLanded = 0;
    let totalReported = 0;
    const verified = new Set<string>();
    for (let k = 0; k < KILLS; k++) {
      const p = spawn(process.execPath, [child, home, experimentId, String(ROUNDS), exported], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const exit = new Promise<NodeJS.Signals | null>((r) => p.on('exit', (_c, s) => r(s)));
      const began = Date.now();
      while (!out.includes('ready\n')) {
        if (Date.now() - began > 30_000 || p.exitCode !== null) throw new Error(`writer did not start: ${err}`);
        await sleep(5);
      }
      await sleep(Math.floor(random() * 400));
      p.kill('SIGKILL');
      expect(await exit, err).toBe('SIGKILL');
      const reported = [...out.matchAll(/^ticket (t_[0-9a-z]+) (saved|imported) (-?\d+)$/gm)].map((m) => [m[1]!, `${m[2]}:${m[3]}`] as const);
      totalReported += reported.length;
      for (const [id, what] of reported) committed.set(id, what);

      const store = openStore({ dataDir: home, dbPath: join(home, 'lth.sqlite') });
      try {
        expect(store.integrityProblems()).toEqual([]);
        const ids = store.tickets.list().map((t) => t.id);
        for (const id of committed.keys()) expect(ids).toContain(id);
        const unreported = ids.filter((id) => !committed.has(id));
        // The ticket being written when the kill came is either wholly there or not at all.
        expect(unreported.length).toBeLessThanOrEqual(1);
        for (const id of unreported) {
          const r = store.tickets.get(id);
          committed.set(id, r.name.startsWith('writer') ? `saved:${r.round}` : 'imported:-1');
          inFlightLanded++;
        }
        // Rows verified after an earlier kill are checked again only at the end.
        for (const id of k === KILLS - 1 ? ids : ids.filter((i) => !verified.has(i))) {
          verified.add(id);
          const loaded = store.tickets.load(id); // unpacks every blob with the layers: throws on a short one
          expect(loaded.mask.length).toBe(LAYERS.length);
          const want = expected.get(committed.get(id)!)!;
          const b = store.tickets.blobs(id);
          expect(b.mask.equals(want.mask)).toBe(true);
          expect(b.rewindWeights.equals(want.rewind)).toBe(true);
          expect(b.trainedWeights && want.trained && b.trainedWeights.equals(want.trained)).toBe(true);
        }
      } finally {
        store.close();
      }
    }
    console.log(
      `[reliability] ticket-kill seed ${SEED + 3}: ${KILLS} SIGKILLs during ticket saves/imports; ${totalReported} tickets committed and reported, ` +
        `${inFlightLanded} committed in the instant before a kill; ${committed.size} tickets verified bit for bit after the last kill`,
    );
    expect(committed.size).toBeGreaterThan(KILLS);
  }, 300_000);
});
