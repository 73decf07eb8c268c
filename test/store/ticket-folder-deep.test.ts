import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createParams, disposeParams, forward } from '../../src/main/engine/model';
import { planNetwork } from '../../src/main/engine/network';
import type { WeightSet } from '../../src/main/engine/types';
import { StoreError, type Store } from '../../src/main/store';
import { fromTfjsWeightData, modelTopology, tfjsWeightData } from '../../src/main/store/tfjs-model';
import { ticketArtifacts } from '../../src/main/store/ticket-folder';
import type { LayerInfo } from '../../src/shared/results';
import { parseSpec, type NetworkSpec } from '../../src/shared/spec';
import { density, randomMask, run, sameBits, tempStore } from './helpers';

const SHAPE: [number, number, number] = [8, 8, 3];
const CLASSES = 5;
const RESNET: NetworkSpec = { conv: [], dense: [], dropout: 0, residual: { widths: [4, 8], blocks: 2 }, batchNorm: true };
const VGG: NetworkSpec = { conv: [4, 'pool', 8], dense: [6], dropout: 0, batchNorm: true, pooling: 'average' };

/** Finite weights at a scale that keeps the logits near 1, with every batch-norm part non-trivial. */
function deepWeights(layers: readonly LayerInfo[], seed: number): WeightSet {
  let s = seed >>> 0 || 1;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const fill = (n: number, f: () => number) => Float32Array.from({ length: n }, f);
  return {
    kernels: layers.map((l) => fill(l.weights, () => (rnd() - 0.5) * Math.sqrt(12 / l.shape[l.shape.length - 2]!) / (l.kind === 'conv' ? l.shape[0]! : 1))),
    biases: layers.map((l) => fill(l.shape[l.shape.length - 1]!, () => rnd() - 0.5)),
    norms: layers.map((l) => {
      if (!l.batchNorm) return new Float32Array(0);
      const c = l.shape[3]!;
      return Float32Array.from({ length: 3 * c }, (_, i) => (i < c ? 0.5 + rnd() : i < 2 * c ? rnd() - 0.5 : 0.2 + rnd()));
    }),
  };
}

const sameSet = (a: WeightSet, b: WeightSet) =>
  (['kernels', 'biases', 'norms'] as const).every((k) => a[k]!.length === b[k]!.length && a[k]!.every((x, i) => sameBits(x, b[k]![i]!)));

function masked(w: WeightSet, mask: readonly Uint8Array[]): WeightSet {
  return { ...w, kernels: w.kernels.map((k, i) => k.map((v, j) => (mask[i]![j] === 1 ? v : 0))) };
}

async function loadInTfjs(files: Record<string, Buffer>): Promise<tf.LayersModel> {
  const model = JSON.parse(files['model.json']!.toString()) as { modelTopology: object; weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] };
  const w = files['weights.bin']!;
  const weightData = w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength) as ArrayBuffer;
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: model.modelTopology, weightSpecs: model.weightsManifest[0]!.weights, weightData }));
}

/** Max |tfjs - engine| relative to max(1, |engine|), over a random batch. */
function predictionGap(m: tf.LayersModel, network: NetworkSpec, weights: WeightSet, mask: Uint8Array[]): number {
  const plan = planNetwork(network, SHAPE, CLASSES);
  const x = tf.randomNormal([3, SHAPE[0] * SHAPE[1] * SHAPE[2]], 0, 1, 'float32', 17) as tf.Tensor2D;
  const params = createParams(plan, weights, mask);
  const want = forward(plan, params, x, null).arraySync();
  const got = (m.predict(tf.reshape(x, [3, ...SHAPE])) as tf.Tensor).arraySync() as number[][];
  disposeParams(params);
  expect(got.length).toBe(3);
  return Math.max(...want.flatMap((row, i) => row.map((v, j) => Math.abs(got[i]![j]! - v) / Math.max(1, Math.abs(v)))));
}

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

function savedTicket(network: NetworkSpec, withTrained: boolean) {
  const spec = parseSpec({
    dataset: 'tiny-cifar',
    network,
    training: { learningRate: 0.01, batchSize: 4, iterations: 100 },
    pruning: { rates: { conv: 0.2, dense: 0.2, output: 0.1 }, rounds: 2 },
  });
  store.datasets.put({
    id: spec.dataset, name: spec.dataset, source: 'idx', folder: null, shape: SHAPE, numClasses: CLASSES, classNames: ['a', 'b', 'c', 'd', 'e'],
    trainCount: 5, testCount: 5, trainClassCounts: [1, 1, 1, 1, 1], testClassCounts: [1, 1, 1, 1, 1], hash: 'hash-cifar',
  });
  const layers = planNetwork(spec.network, SHAPE, CLASSES).layers;
  const e = store.experiments.create({ spec, datasetHash: 'hash-cifar', versions: { lthLab: '0.1.0', tfjs: '4.22.0' }, layers });
  const sink = store.sinkFor(e.id);
  const rewind = deepWeights(layers, 3);
  const mask = randomMask(layers, 0.7, 11);
  const trained = masked(deepWeights(layers, 4), mask);
  sink.saveRewindWeights(0, rewind);
  sink.saveMask(0, 1, mask);
  if (withTrained) sink.saveTrainedWeights(0, 1, trained);
  const d = density(mask);
  sink.saveRun(run(0, 'ticket', 1, { weightsRemaining: d.total, layerDensity: d.layer }));
  const t = store.tickets.save(e.id, 0, 1, 'deep');
  return { t, layers, rewind, mask, trained };
}

describe.each([
  ['a residual network with batch norm', RESNET, 'Model'],
  ['a VGG-style network with batch norm and global average pooling', VGG, 'Sequential'],
])('ticket folders of %s', (_, network, topologyClass) => {
  it('weight data round-trips bit for bit, batch-norm state included, in Keras order', () => {
    const layers = planNetwork(network, SHAPE, CLASSES).layers;
    const w = deepWeights(layers, 1);
    const data = tfjsWeightData(w, layers);
    expect(sameSet(fromTfjsWeightData(data, layers), w)).toBe(true);
    // The first conv's BatchNormalization follows its kernel: gamma, beta, moving_mean, moving_variance.
    const l = layers[0]!;
    const c = l.shape[3]!;
    const bn = new Float32Array(data.buffer.slice(data.byteOffset + 4 * l.weights, data.byteOffset + 4 * (l.weights + 4 * c)));
    const [norm, beta] = [w.norms![0]!, w.biases[0]!];
    expect(Array.from(bn)).toEqual([...norm.subarray(0, c), ...beta, ...norm.subarray(c)]);
  });

  it('exports a model TensorFlow.js loads and that predicts what the engine predicts; imports back bit for bit', async () => {
    const { t, layers, rewind, mask, trained } = savedTicket(network, true);
    const folder = store.exportTicket(t.id, join(dir, 'out'));
    const files = Object.fromEntries(readdirSync(folder).map((f) => [f, readFileSync(join(folder, f))]));
    const model = JSON.parse(files['model.json']!.toString());
    expect(model.modelTopology.class_name).toBe(topologyClass);

    const m = await loadInTfjs(files);
    const classes = m.layers.map((x) => x.getClassName());
    expect(classes.filter((c) => c === 'BatchNormalization')).toHaveLength(layers.filter((l) => l.batchNorm).length);
    expect(classes).toContain('GlobalAveragePooling2D');
    if (network.residual) {
      expect(classes.filter((c) => c === 'Add')).toHaveLength(4);
      expect(classes.filter((c) => c === 'ZeroPadding2D')).toHaveLength(1); // s2b1.conv1, the one stride-2 3x3
      expect(m.getLayer('s2b1.shortcut').getConfig()).toMatchObject({ kernelSize: [1, 1], strides: [2, 2], padding: 'valid' });
    }
    const [gamma, beta, mean, variance] = m.getLayer('conv1.bn').getWeights().map((x) => Array.from(x.dataSync()));
    const c = layers[0]!.shape[3]!;
    expect([gamma, beta, mean, variance]).toEqual([trained.norms![0]!.subarray(0, c), trained.biases[0]!, trained.norms![0]!.subarray(c, 2 * c), trained.norms![0]!.subarray(2 * c)].map((a) => Array.from(a)));
    expect(predictionGap(m, network, trained, mask)).toBeLessThan(1e-4);

    const imported = store.tickets.load(store.importTicket(folder).id);
    expect(imported.layers).toEqual(layers);
    expect(sameSet(imported.trainedWeights!, trained)).toBe(true);
    expect(sameSet(imported.rewindWeights, rewind)).toBe(true);
    expect(store.integrityProblems()).toEqual([]);
  });

  it('a ticket without trained weights exports its masked rewind weights, norms unmasked', async () => {
    const { t, rewind, mask } = savedTicket(network, false);
    const { files } = ticketArtifacts(store.tickets.load(t.id), 'test');
    expect(predictionGap(await loadInTfjs(files), network, masked(rewind, mask), mask)).toBeLessThan(1e-4);
  });
});

it('a residual network without batch norm exports convs with their biases, and predicts as the engine does', async () => {
  const network: NetworkSpec = { ...RESNET, batchNorm: false, dense: [6], dropout: 0.5 };
  const { t, trained, mask } = savedTicket(network, true);
  const { files, model } = ticketArtifacts(store.tickets.load(t.id), 'test');
  expect(model.modelTopology.config.layers.map((l) => l.class_name)).not.toContain('BatchNormalization');
  expect(model.weightsManifest[0]!.weights.map((w) => w.name).slice(0, 2)).toEqual(['conv1/kernel', 'conv1/bias']);
  expect(predictionGap(await loadInTfjs(files), network, trained, mask)).toBeLessThan(1e-4);
});

describe('mismatched deep ticket folders are refused with a clear error', () => {
  let folder: string;
  beforeEach(() => {
    folder = store.exportTicket(savedTicket(RESNET, true).t.id, join(dir, 'good'));
  });
  const meta = () => JSON.parse(readFileSync(join(folder, 'ticket.json'), 'utf8')) as Record<string, any>;
  function refused(pattern: RegExp) {
    let err: unknown;
    try {
      store.importTicket(folder);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).toMatch(pattern);
  }

  it('a weights file without the batch-norm state', () => {
    const layers = meta().layers as LayerInfo[];
    const full = readFileSync(join(folder, 'weights.bin'));
    const norms = layers.reduce((a, l) => a + (l.batchNorm ? 3 * l.shape[3]! : 0), 0);
    writeFileSync(join(folder, 'weights.bin'), full.subarray(0, full.length - 4 * norms));
    refused(new RegExp(`weights\\.bin has ${full.length - 4 * norms} bytes, expected ${full.length}`));
  });

  it('layers without the batch norm their files hold, or a spec without the batch norm its layers have', () => {
    const [m, n] = [meta(), meta()];
    for (const l of m.layers) delete l.batchNorm;
    writeFileSync(join(folder, 'ticket.json'), JSON.stringify(m));
    refused(/(rewind|weights)\.bin has \d+ bytes, expected \d+ for the ticket.s layers/);
    expect(() => modelTopology(RESNET, m.layers as LayerInfo[], SHAPE)).toThrow(/layers do not match the network spec: conv1 lacks batch norm, the spec puts it after every conv/);
    n.spec.network.batchNorm = false;
    writeFileSync(join(folder, 'ticket.json'), JSON.stringify(n));
    refused(/layers do not match the network spec: conv1 has batch norm, the spec has none/);
  });

  it('a spec whose residual stages differ from the layers', () => {
    const m = meta();
    m.spec.network.residual.blocks = 1;
    writeFileSync(join(folder, 'ticket.json'), JSON.stringify(m));
    refused(/layers do not match the network spec: expected kinds conv,conv,conv,conv,conv,conv,output, got conv(,conv){9},output/);
    m.spec.network.residual = { widths: [4, 6], blocks: 2 };
    writeFileSync(join(folder, 'ticket.json'), JSON.stringify(m));
    refused(/layers do not match the network spec: s2b1\.conv1 has shape \[3,3,4,8\], expected \[3,3,4,6\]/);
  });

  it('model.json weight names that do not follow the layers', () => {
    const model = JSON.parse(readFileSync(join(folder, 'model.json'), 'utf8'));
    model.weightsManifest[0].weights[1].name = 'conv1.bn/beta';
    const buf = Buffer.from(JSON.stringify(model));
    writeFileSync(join(folder, 'model.json'), buf);
    const m = meta();
    m.files['model.json'] = { bytes: buf.length, sha256: createHash('sha256').update(buf).digest('hex') };
    writeFileSync(join(folder, 'ticket.json'), JSON.stringify(m));
    refused(/model\.json weight names or shapes do not match the ticket's layers/);
  });

  it('a conv network without a dataset shape, or a stride-2 stage on an odd map', () => {
    const layers = planNetwork(RESNET, SHAPE, CLASSES).layers;
    expect(() => modelTopology(RESNET, layers, null)).toThrow(/needs the dataset input shape/);
    expect(() => modelTopology(RESNET, layers, [7, 7, 3])).toThrow(/layers do not match the network spec: .*even feature map, got 7x7/);
  });
});
