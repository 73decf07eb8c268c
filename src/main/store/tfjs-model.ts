import type { LayerInfo } from '../../shared/results';
import type { NetworkSpec } from '../../shared/spec';
import type { WeightSet } from '../engine/types';
import { StoreError } from './errors';
import { biasLength } from './layers';

/*
 * The exported model.json: TensorFlow.js "layers-model" format, a tf.sequential with the layers named as in
 * LayerInfo, relu hidden layers and a linear (logit) output. 3x3 'same' convs and 2x2 max-pools as the spec
 * describes the network; Dropout layers where the spec has dropout (identity at inference).
 */

export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32';
}

export interface TfjsLayerConfig {
  class_name: string;
  config: Record<string, unknown>;
}

export interface TfjsModelTopology {
  class_name: 'Sequential';
  config: { name: string; layers: TfjsLayerConfig[] };
  keras_version: string;
  backend: string;
}

export interface TfjsModelJson {
  format: 'layers-model';
  generatedBy: string;
  convertedBy: null;
  modelTopology: TfjsModelTopology;
  weightsManifest: { paths: string[]; weights: TfjsWeightSpec[] }[];
}

export const WEIGHTS_FILE = 'weights.bin';

export function weightSpecs(layers: readonly LayerInfo[]): TfjsWeightSpec[] {
  return layers.flatMap((l) => [
    { name: `${l.name}/kernel`, shape: [...l.shape], dtype: 'float32' as const },
    { name: `${l.name}/bias`, shape: [biasLength(l)], dtype: 'float32' as const },
  ]);
}

/**
 * Checks the layers against the network spec (the kinds, widths and the chain of input sizes) and returns the
 * tf.sequential topology. `inputShape` is the dataset's [h, w, c]; required for conv nets, optional for MLPs
 * (which then take flat vectors).
 */
export function modelTopology(
  network: NetworkSpec,
  layers: readonly LayerInfo[],
  inputShape: readonly [number, number, number] | null,
): TfjsModelTopology {
  const bad = (why: string) => new StoreError(`layers do not match the network spec: ${why}`);
  const convs = network.conv.filter((c): c is number => c !== 'pool');
  const expectKinds = [...convs.map(() => 'conv'), ...network.dense.map(() => 'dense'), 'output'];
  if (layers.length !== expectKinds.length || layers.some((l, i) => l.kind !== expectKinds[i])) {
    throw bad(`expected kinds ${expectKinds.join(',')}, got ${layers.map((l) => l.kind).join(',')}`);
  }
  const taken = new Set(layers.map((l) => l.name));
  const fresh = (base: string): string => {
    let n = base;
    for (let i = 2; taken.has(n); i++) n = `${base}_${i}`;
    taken.add(n);
    return n;
  };
  const out: TfjsLayerConfig[] = [];
  let li = 0;
  let first = true;
  const inputKey = (shape: (number | null)[]) => (first ? { batch_input_shape: shape } : {});

  let features: number;
  if (convs.length > 0) {
    if (!inputShape) throw new StoreError('a conv network needs the dataset input shape [height, width, channels] to export');
    let [h, w, c] = inputShape;
    let poolIndex = 0;
    for (const stage of network.conv) {
      if (stage === 'pool') {
        out.push({
          class_name: 'MaxPooling2D',
          config: { name: fresh(`pool_${++poolIndex}`), pool_size: [2, 2], strides: [2, 2], padding: 'valid', data_format: 'channels_last', ...inputKey([null, h, w, c]) },
        });
        first = false;
        h = Math.floor(h / 2);
        w = Math.floor(w / 2);
        continue;
      }
      const l = layers[li++]!;
      if (l.shape[0] !== 3 || l.shape[1] !== 3 || l.shape[2] !== c || l.shape[3] !== stage) {
        throw bad(`${l.name} has shape ${JSON.stringify(l.shape)}, expected [3,3,${c},${stage}]`);
      }
      out.push({
        class_name: 'Conv2D',
        config: {
          name: l.name,
          filters: stage,
          kernel_size: [3, 3],
          strides: [1, 1],
          padding: 'same',
          data_format: 'channels_last',
          dilation_rate: [1, 1],
          activation: 'relu',
          use_bias: true,
          trainable: true,
          dtype: 'float32',
          ...inputKey([null, h, w, c]),
        },
      });
      first = false;
      c = stage;
    }
    out.push({ class_name: 'Flatten', config: { name: fresh('flatten'), data_format: 'channels_last' } });
    features = h * w * c;
  } else if (inputShape) {
    out.push({ class_name: 'Flatten', config: { name: fresh('flatten'), data_format: 'channels_last', batch_input_shape: [null, ...inputShape] } });
    first = false;
    features = inputShape[0] * inputShape[1] * inputShape[2];
  } else {
    features = layers[0]!.shape[0]!;
  }

  const units = [...network.dense];
  const outLayer = layers[layers.length - 1]!;
  units.push(outLayer.shape[1]!);
  units.forEach((u, i) => {
    const l = layers[li++]!;
    if (l.shape[0] !== features || l.shape[1] !== u) throw bad(`${l.name} has shape ${JSON.stringify(l.shape)}, expected [${features},${u}]`);
    const isOutput = i === units.length - 1;
    out.push({
      class_name: 'Dense',
      config: {
        name: l.name,
        units: u,
        activation: isOutput ? 'linear' : 'relu',
        use_bias: true,
        trainable: true,
        dtype: 'float32',
        ...inputKey([null, features]),
      },
    });
    first = false;
    if (!isOutput && network.dropout > 0) {
      out.push({ class_name: 'Dropout', config: { name: fresh(`dropout_${i + 1}`), rate: network.dropout } });
    }
    features = u;
  });
  return {
    class_name: 'Sequential',
    config: { name: 'lth_ticket', layers: out },
    keras_version: 'tfjs-layers 4.22.0',
    backend: 'tensor_flow.js',
  };
}

/** tf.io weight data order: per layer its kernel then its bias (the store's blobs put all kernels first). */
export function tfjsWeightData(w: WeightSet, layers: readonly LayerInfo[]): Buffer {
  const parts: Buffer[] = [];
  layers.forEach((_, i) => {
    const k = w.kernels[i]!;
    const b = w.biases[i]!;
    parts.push(f32le(k), f32le(b));
  });
  return Buffer.concat(parts);
}

export function fromTfjsWeightData(data: Uint8Array, layers: readonly LayerInfo[]): WeightSet {
  const kernels: Float32Array[] = [];
  const biases: Float32Array[] = [];
  let offset = 0;
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const take = (n: number) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = dv.getFloat32(offset + 4 * i, true);
    offset += 4 * n;
    return a;
  };
  for (const l of layers) {
    kernels.push(take(l.weights));
    biases.push(take(biasLength(l)));
  }
  if (offset !== data.byteLength) throw new StoreError(`weight data has ${data.byteLength} bytes, expected ${offset}`);
  return { kernels, biases };
}

function f32le(a: Float32Array): Buffer {
  const b = Buffer.alloc(a.length * 4);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < a.length; i++) dv.setFloat32(4 * i, a[i]!, true);
  return b;
}

export function modelJson(topology: TfjsModelTopology, layers: readonly LayerInfo[], generatedBy: string): TfjsModelJson {
  return {
    format: 'layers-model',
    generatedBy,
    convertedBy: null,
    modelTopology: topology,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: weightSpecs(layers) }],
  };
}
