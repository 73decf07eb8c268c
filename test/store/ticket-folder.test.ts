import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WeightSet } from '../../src/main/engine/types';
import { StoreError, type Store } from '../../src/main/store';
import { ticketArtifacts } from '../../src/main/store/ticket-folder';
import type { ExperimentSpec } from '../../src/shared/spec';
import type { LayerInfo } from '../../src/shared/results';
import {
  cnnLayers,
  cnnSpec,
  CNN_SHAPE,
  density,
  maskedWeights,
  mlpLayers,
  mlpSpec,
  MLP_SHAPE,
  randomMask,
  randomWeights,
  run,
  sameWeights,
  tempStore,
} from './helpers';

let store: Store;
let dir: string;
let done: () => void;
beforeAll(async () => {
  await tf.setBackend('cpu');
});
beforeEach(() => {
  ({ store, dir, done } = tempStore());
});
afterEach(() => done());

function putDataset(id: string, shape: [number, number, number]) {
  store.datasets.put({
    id,
    name: id,
    source: 'idx',
    folder: null,
    shape,
    numClasses: 3,
    classNames: ['a', 'b', 'c'],
    trainCount: 3,
    testCount: 3,
    trainClassCounts: [1, 1, 1],
    testClassCounts: [1, 1, 1],
    hash: `hash-${id}`,
  });
}

/** A saved ticket at round 1 of trial 0, with or without trained weights. */
function savedTicket(spec: ExperimentSpec, layers: LayerInfo[], shape: [number, number, number], withTrained = true) {
  putDataset(spec.dataset, shape);
  const e = store.experiments.create({ spec, datasetHash: `hash-${spec.dataset}`, versions: { lthLab: '0.1.0', tfjs: '4.22.0' }, layers });
  const sink = store.sinkFor(e.id);
  const rewind = randomWeights(layers, 5);
  const mask = randomMask(layers, 0.6, 9);
  const trained = maskedWeights(randomWeights(layers, 6), mask);
  sink.saveRewindWeights(0, rewind);
  sink.saveMask(0, 1, mask);
  if (withTrained) sink.saveTrainedWeights(0, 1, trained);
  const d = density(mask);
  sink.saveRun(run(0, 'ticket', 1, { weightsRemaining: d.total, layerDensity: d.layer }));
  const t = store.tickets.save(e.id, 0, 1, 'exported');
  store.tickets.update(t.id, { notes: 'n', tags: ['x'] });
  return { e, t, rewind, mask, trained };
}

function ticketRows(): number {
  return (store.db.prepare('SELECT COUNT(*) AS n FROM tickets').get() as { n: number }).n;
}

/** Loads artifacts with the IOHandler API, as a TensorFlow.js user would load the folder. */
async function loadInTfjs(files: Record<string, Buffer>) {
  const model = JSON.parse(files['model.json']!.toString()) as { modelTopology: object; weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] };
  const w = files['weights.bin']!;
  const weightData = w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength) as ArrayBuffer;
  return tf.loadLayersModel({
    load: async () => ({ modelTopology: model.modelTopology, weightSpecs: model.weightsManifest[0]!.weights, weightData }),
  });
}

function expectKernelsMatch(m: tf.LayersModel, layers: LayerInfo[], expected: WeightSet, mask: Uint8Array[]) {
  layers.forEach((l, i) => {
    const [k, b] = m.getLayer(l.name).getWeights();
    const kernel = k!.dataSync() as Float32Array;
    const want = expected.kernels[i]!.map((v, j) => (mask[i]![j] === 1 ? v : 0));
    expect(Array.from(kernel)).toEqual(Array.from(want));
    expect(k!.shape).toEqual(l.shape);
    expect(Array.from(b!.dataSync())).toEqual(Array.from(expected.biases[i]!));
  });
}

describe('ticket folders', () => {
  it('exports an MLP ticket TensorFlow.js loads, and imports it back bit for bit', async () => {
    const { t, rewind, mask, trained } = savedTicket(mlpSpec(), mlpLayers(), MLP_SHAPE);
    const folder = store.exportTicket(t.id, join(dir, 'out', 'ticket-a'));
    expect(readdirSync(folder).sort()).toEqual(['mask.bin', 'model.json', 'rewind.bin', 'ticket.json', 'weights.bin']);
    const files = Object.fromEntries(readdirSync(folder).map((f) => [f, readFileSync(join(folder, f))]));

    const m = await loadInTfjs(files);
    // Finite weights only for predict: the random sets mix in Infinity on purpose.
    expectKernelsMatch(m, mlpLayers(), trained, mask);
    const y = m.predict(tf.zeros([2, ...MLP_SHAPE])) as tf.Tensor;
    expect(y.shape).toEqual([2, 3]);

    const imported = store.importTicket(folder);
    expect(imported.id).not.toBe(t.id); // the original still exists here, so the import gets a fresh id
    expect(imported).toMatchObject({ name: 'exported', notes: 'n', tags: ['x'], experimentId: t.experimentId, hasTrainedWeights: true });
    expect(imported.weightsRemaining).toBe(t.weightsRemaining);
    const a = store.tickets.load(imported.id);
    expect(a.liveExperimentId).toBeNull();
    expect(a.origin).toBe('imported');
    expect(sameWeights(a.rewindWeights, rewind)).toBe(true);
    expect(sameWeights(a.trainedWeights!, trained)).toBe(true);
    expect(a.mask.map((x) => Array.from(x))).toEqual(mask.map((x) => Array.from(x)));
    expect(a.spec).toEqual(mlpSpec());
    expect(store.integrityProblems()).toEqual([]);
  });

  it('keeps the ticket id when importing into another store, and re-exports identical files', () => {
    const { t } = savedTicket(mlpSpec(), mlpLayers(), MLP_SHAPE, false);
    const folder = store.exportTicket(t.id, join(dir, 'a'));
    const other = tempStore();
    try {
      const imported = other.store.importTicket(folder);
      expect(imported.id).toBe(t.id);
      expect(imported.hasTrainedWeights).toBe(false);
      const again = other.store.exportTicket(imported.id, join(dir, 'b'));
      for (const f of ['mask.bin', 'model.json', 'rewind.bin', 'weights.bin']) {
        expect(readFileSync(join(again, f)).equals(readFileSync(join(folder, f)))).toBe(true);
      }
    } finally {
      other.done();
    }
  });

  it('exports a conv ticket (Conv2D, MaxPooling2D, Flatten, Dense) that predicts in TensorFlow.js', async () => {
    const layers = cnnLayers();
    const { t, rewind, mask } = savedTicket(cnnSpec(), layers, CNN_SHAPE, false);
    const { files } = ticketArtifacts(store.tickets.load(t.id), 'test');
    const m = await loadInTfjs(files);
    expect(m.layers.map((l) => l.getClassName())).toEqual(['Conv2D', 'MaxPooling2D', 'Conv2D', 'Flatten', 'Dense', 'Dense']);
    expectKernelsMatch(m, layers, rewind, mask); // no trained weights: weights.bin holds the masked rewind weights
    const y = m.predict(tf.zeros([1, ...CNN_SHAPE])) as tf.Tensor;
    expect(y.shape).toEqual([1, 3]);
  });

  it('refuses to export over a non-empty folder', () => {
    const { t } = savedTicket(mlpSpec(), mlpLayers(), MLP_SHAPE);
    mkdirSync(join(dir, 'busy'));
    writeFileSync(join(dir, 'busy', 'x'), '');
    expect(() => store.exportTicket(t.id, join(dir, 'busy'))).toThrow(/not an empty folder/);
    mkdirSync(join(dir, 'empty'));
    expect(existsSync(join(store.exportTicket(t.id, join(dir, 'empty')), 'ticket.json'))).toBe(true);
  });

  describe('malformed folders are refused with a specific error and no row written', () => {
    let folder: string;
    beforeEach(() => {
      const { t } = savedTicket(mlpSpec(), mlpLayers(), MLP_SHAPE);
      folder = store.exportTicket(t.id, join(dir, 'good'));
    });
    const meta = () => JSON.parse(readFileSync(join(folder, 'ticket.json'), 'utf8')) as Record<string, any>;
    const writeMeta = (m: unknown) => writeFileSync(join(folder, 'ticket.json'), JSON.stringify(m));
    function refused(pattern: RegExp) {
      const before = ticketRows();
      let err: unknown;
      try {
        store.importTicket(folder);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(StoreError);
      expect((err as StoreError).code).toBe('ticket-folder');
      expect((err as Error).message).toMatch(pattern);
      expect(ticketRows()).toBe(before);
    }

    it('missing folder or file', () => {
      unlinkSync(join(folder, 'mask.bin'));
      refused(/mask\.bin is missing/);
      folder = join(dir, 'nope');
      refused(/does not exist/);
    });
    it('a newer format version', () => {
      writeMeta({ ...meta(), formatVersion: 2 });
      refused(/format version 2, newer than this LTH Lab reads \(1\)/);
    });
    it('not a ticket', () => {
      writeFileSync(join(folder, 'ticket.json'), '{"hello": 1}');
      refused(/not an LTH Lab ticket/);
      writeFileSync(join(folder, 'ticket.json'), 'not json');
      refused(/not valid JSON/);
    });
    it('a symbolic link instead of a file', () => {
      const outside = join(dir, 'outside.bin');
      writeFileSync(outside, readFileSync(join(folder, 'rewind.bin')));
      unlinkSync(join(folder, 'rewind.bin'));
      symlinkSync(outside, join(folder, 'rewind.bin'));
      refused(/rewind\.bin is a symbolic link: refused/);
    });
    it('a directory instead of a file', () => {
      unlinkSync(join(folder, 'model.json'));
      mkdirSync(join(folder, 'model.json'));
      refused(/model\.json is not a regular file/);
    });
    it('binary sizes that do not match the layers, checked before reading', () => {
      writeFileSync(join(folder, 'weights.bin'), Buffer.alloc(12));
      refused(/weights\.bin has 12 bytes, expected 296/);
    });
    it('layers that contradict the spec', () => {
      const m = meta();
      m.layers[0].shape = [7, 5];
      m.layers[0].weights = 35;
      writeMeta(m);
      refused(/mask\.bin has 8 bytes, expected 9|layers do not match/);
    });
    it('a layer name with path characters', () => {
      const m = meta();
      m.layers[0].name = '../evil';
      writeMeta(m);
      refused(/invalid name/);
    });
    it('an invalid spec', () => {
      const m = meta();
      m.spec.pruning.rounds = 0;
      writeMeta(m);
      refused(/invalid spec: pruning\.rounds/);
    });
    it('a checksum mismatch', () => {
      const w = readFileSync(join(folder, 'rewind.bin'));
      w[0]! ^= 1;
      writeFileSync(join(folder, 'rewind.bin'), w);
      refused(/rewind\.bin does not match the size and sha256/);
    });
    it('a nonzero weight where the mask prunes', () => {
      const mask = readFileSync(join(folder, 'mask.bin'));
      const bits = Array.from({ length: 8 }, (_, i) => (mask[0]! >> i) & 1);
      const pruned = bits.indexOf(0);
      expect(pruned).toBeGreaterThanOrEqual(0);
      const w = readFileSync(join(folder, 'weights.bin'));
      w.writeFloatLE(0.5, pruned * 4);
      writeFileSync(join(folder, 'weights.bin'), w);
      const m = meta();
      m.files['weights.bin'].sha256 = createHash('sha256').update(w).digest('hex');
      writeMeta(m);
      refused(new RegExp(`layer fc1 has a nonzero weight at index ${pruned} that mask\\.bin prunes`));
    });
    it('a mask that disagrees with the recorded density', () => {
      const m = meta();
      m.ticket.weightsRemaining = 0.99;
      writeMeta(m);
      refused(/mask\.bin keeps .* records 0\.99/);
    });
    it('a file above the size limit', () => {
      writeFileSync(join(folder, 'ticket.json'), Buffer.alloc(8 * 1024 * 1024 + 1, 32));
      refused(/ticket\.json has 8388609 bytes, more than the 8388608 allowed/);
    });
  });
});
