import type { LayerInfo } from '../../shared/results';
import type { NetworkSpec } from '../../shared/spec';
import { planNetwork, type NetworkPlan, type Step } from '../../shared/network';
import type { WeightSet } from '../engine/types';
import { StoreError } from './errors';
import { biasLength, normLength } from './layers';

/*
 * The exported model.json: TensorFlow.js "layers-model" format, built from the engine's own plan of the
 * network (planNetwork's steps) with the layers named as in LayerInfo, so that it computes what the engine's
 * evaluation forward computes. A tf.sequential for chains; a functional "Model" when residual blocks branch.
 * - A conv with batch norm is Conv2D (no bias, linear) + BatchNormalization `<layer>.bn` (the engine's running
 *   statistics, PyTorch's eps; Keras's momentum is 1 - PyTorch's) + Activation relu where the step has ReLU.
 * - A stride-2 3x3 conv pads 1 on every side like PyTorch: ZeroPadding2D(1) + Conv2D 'valid'. Keras's 'same'
 *   would pad only bottom/right on even maps, shifting every output by one pixel.
 * - Dropout layers where the spec has dropout (identity at inference).
 */

export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32';
}

export interface TfjsLayerConfig {
  class_name: string;
  config: Record<string, unknown>;
  /** Functional models only: the layer's name again and its inputs as [layer, node, tensor, kwargs]. */
  name?: string;
  inbound_nodes?: [string, number, number, Record<string, never>][][];
}

export interface TfjsModelTopology {
  class_name: 'Sequential' | 'Model';
  config: { name: string; layers: TfjsLayerConfig[]; input_layers?: [string, number, number][]; output_layers?: [string, number, number][] };
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
/** PyTorch's BatchNorm2d defaults (what the engine trains with), in Keras's terms. */
const BN_EPSILON = 1e-5;
const BN_KERAS_MOMENTUM = 0.9;
const NORM_PARTS = ['gamma', 'beta', 'moving_mean', 'moving_variance'] as const;

export const bnLayerName = (l: LayerInfo): string => `${l.name}.bn`;

export function weightSpecs(layers: readonly LayerInfo[]): TfjsWeightSpec[] {
  return layers.flatMap((l) => {
    const kernel = { name: `${l.name}/kernel`, shape: [...l.shape], dtype: 'float32' as const };
    if (!l.batchNorm) return [kernel, { name: `${l.name}/bias`, shape: [biasLength(l)], dtype: 'float32' as const }];
    return [kernel, ...NORM_PARTS.map((p) => ({ name: `${bnLayerName(l)}/${p}`, shape: [biasLength(l)], dtype: 'float32' as const }))];
  });
}

/**
 * Checks the layers against the network spec (the engine's plan of it: kinds, shapes, batch norm; not names,
 * which the topology takes from the layers) and returns the topology. `inputShape` is the dataset's [h, w, c];
 * required for conv nets, optional for MLPs (which then take flat vectors).
 */
export function modelTopology(
  network: NetworkSpec,
  layers: readonly LayerInfo[],
  inputShape: readonly [number, number, number] | null,
): TfjsModelTopology {
  const plan = checkedPlan(network, layers, inputShape);
  const functional = plan.steps.some((s) => s.op === 'join');
  const taken = new Set(layers.flatMap((l) => (l.batchNorm ? [l.name, bnLayerName(l)] : [l.name])));
  if (taken.size !== layers.length + layers.filter((l) => l.batchNorm).length) {
    throw new StoreError(`layers do not match the network spec: a layer is named like another's batch norm (<name>.bn)`);
  }
  const fresh = (base: string): string => {
    let n = base;
    for (let i = 2; taken.has(n); i++) n = `${base}_${i}`;
    taken.add(n);
    return n;
  };
  const nodes: (TfjsLayerConfig & { inputs: string[] })[] = [];
  const batchInputShape = inputShape ? [null, ...inputShape] : [null, layers[0]!.shape[0]!];
  let cur = '';
  if (functional) {
    cur = fresh('input');
    nodes.push({ class_name: 'InputLayer', config: { batch_input_shape: batchInputShape, dtype: 'float32', sparse: false, name: cur }, inputs: [] });
  }
  // Appends a layer fed by `inputs` (default: the current activation) and makes it the current activation.
  const add = (class_name: string, config: Record<string, unknown> & { name: string }, inputs = [cur]): string => {
    const first = nodes.length === 0;
    nodes.push({ class_name, config: first ? { ...config, batch_input_shape: batchInputShape } : config, inputs: inputs.filter((i) => i !== '') });
    return (cur = config.name);
  };
  const conv = (s: Extract<Step, { op: 'conv' }>) => {
    const l = layers[s.layer]!;
    const bn = l.batchNorm === true;
    const padded = s.kernel === 3 && s.stride === 2;
    if (padded) add('ZeroPadding2D', { name: fresh(`${l.name}.pad`), padding: [[1, 1], [1, 1]], data_format: 'channels_last' });
    add('Conv2D', {
      name: l.name,
      filters: s.filters,
      kernel_size: [s.kernel, s.kernel],
      strides: [s.stride, s.stride],
      padding: s.kernel === 3 && !padded ? 'same' : 'valid',
      data_format: 'channels_last',
      dilation_rate: [1, 1],
      activation: s.relu && !bn ? 'relu' : 'linear',
      use_bias: !bn,
      trainable: true,
      dtype: 'float32',
    });
    if (!bn) return;
    add('BatchNormalization', { name: bnLayerName(l), axis: -1, momentum: BN_KERAS_MOMENTUM, epsilon: BN_EPSILON, center: true, scale: true, trainable: true, dtype: 'float32' });
    if (s.relu) add('Activation', { name: fresh(`${l.name}.relu`), activation: 'relu' });
  };

  const forks: string[] = [];
  let pools = 0;
  let joins = 0;
  let dense = 0;
  if (inputShape && plan.steps[0]?.op === 'dense') add('Flatten', { name: fresh('flatten'), data_format: 'channels_last' });
  for (const s of plan.steps) {
    if (s.op === 'conv') conv(s);
    else if (s.op === 'pool') add('MaxPooling2D', { name: fresh(`pool_${++pools}`), pool_size: [2, 2], strides: [2, 2], padding: 'valid', data_format: 'channels_last' });
    else if (s.op === 'flatten') add('Flatten', { name: fresh('flatten'), data_format: 'channels_last' });
    else if (s.op === 'average') add('GlobalAveragePooling2D', { name: fresh('average_pool'), data_format: 'channels_last' });
    else if (s.op === 'fork') forks.push(cur);
    else if (s.op === 'join') {
      const residual = cur;
      const blockInput = forks.pop()!;
      cur = blockInput;
      if (s.projection) conv(s.projection);
      const n = ++joins;
      add('Add', { name: fresh(`add_${n}`) }, [residual, cur]);
      add('Activation', { name: fresh(`add_${n}.relu`), activation: 'relu' });
    } else {
      const l = layers[s.layer]!;
      dense += 1;
      add('Dense', { name: l.name, units: s.units, activation: s.relu ? 'relu' : 'linear', use_bias: true, trainable: true, dtype: 'float32' });
      if (s.dropout > 0) add('Dropout', { name: fresh(`dropout_${dense}`), rate: s.dropout });
    }
  }

  const topology = (class_name: TfjsModelTopology['class_name'], config: TfjsModelTopology['config']): TfjsModelTopology => ({
    class_name,
    config,
    keras_version: 'tfjs-layers 4.22.0',
    backend: 'tensor_flow.js',
  });
  if (!functional) return topology('Sequential', { name: 'lth_ticket', layers: nodes.map(({ class_name, config }) => ({ class_name, config })) });
  return topology('Model', {
    name: 'lth_ticket',
    layers: nodes.map(({ class_name, config, inputs }) => ({
      name: config.name as string,
      class_name,
      config,
      inbound_nodes: inputs.length ? [inputs.map((i) => [i, 0, 0, {}] as [string, number, number, Record<string, never>])] : [],
    })),
    input_layers: [[nodes[0]!.config.name as string, 0, 0]],
    output_layers: [[cur, 0, 0]],
  });
}

/** The engine's plan of `network`, after checking that `layers` are its layers. */
function checkedPlan(network: NetworkSpec, layers: readonly LayerInfo[], inputShape: readonly [number, number, number] | null): NetworkPlan {
  const bad = (why: string) => new StoreError(`layers do not match the network spec: ${why}`);
  const hasConv = network.conv.length > 0 || network.residual !== undefined;
  if (hasConv && !inputShape) throw new StoreError('a conv network needs the dataset input shape [height, width, channels] to export');
  const last = layers[layers.length - 1];
  // An MLP without a dataset shape takes flat vectors: plan it as 1x1 pixels with that many channels.
  const shape: [number, number, number] = inputShape ? [...inputShape] : [1, 1, layers[0]?.shape[0] ?? 1];
  let plan: NetworkPlan;
  try {
    plan = planNetwork(network, shape, last?.shape[1] ?? 1);
  } catch (e) {
    throw bad((e as Error).message);
  }
  const want = plan.layers;
  if (layers.length !== want.length || layers.some((l, i) => l.kind !== want[i]!.kind)) {
    throw bad(`expected kinds ${want.map((l) => l.kind).join(',')}, got ${layers.map((l) => l.kind).join(',')}`);
  }
  layers.forEach((l, i) => {
    const w = want[i]!;
    if (JSON.stringify(l.shape) !== JSON.stringify(w.shape)) throw bad(`${l.name} has shape ${JSON.stringify(l.shape)}, expected ${JSON.stringify(w.shape)} (${w.name})`);
    if ((l.batchNorm === true) !== (w.batchNorm === true)) {
      throw bad(`${l.name} ${l.batchNorm ? 'has' : 'lacks'} batch norm, the spec ${network.batchNorm ? 'puts it after every conv' : 'has none'}`);
    }
  });
  return plan;
}

/**
 * tf.io weight data order, per layer: kernel then bias, or for a conv with batch norm its kernel then the
 * BatchNormalization's gamma, beta (the layer's bias), moving_mean, moving_variance (the store's blobs put all
 * kernels first, then all biases, then the norms).
 */
export function tfjsWeightData(w: WeightSet, layers: readonly LayerInfo[]): Buffer {
  const parts: Buffer[] = [];
  layers.forEach((l, i) => {
    const k = w.kernels[i]!;
    const b = w.biases[i]!;
    if (!l.batchNorm) {
      parts.push(f32le(k), f32le(b));
      return;
    }
    const n = w.norms?.[i];
    if (n?.length !== normLength(l)) throw new StoreError(`batch norm of layer ${l.name} has ${n?.length ?? 0} values, expected ${normLength(l)}`);
    const c = biasLength(l);
    parts.push(f32le(k), f32le(n.subarray(0, c)), f32le(b), f32le(n.subarray(c)));
  });
  return Buffer.concat(parts);
}

export function fromTfjsWeightData(data: Uint8Array, layers: readonly LayerInfo[]): WeightSet {
  const kernels: Float32Array[] = [];
  const biases: Float32Array[] = [];
  const norms: Float32Array[] = [];
  const expected = layers.reduce((a, l) => a + 4 * (l.weights + biasLength(l) + normLength(l)), 0);
  // Checked first: a short file would otherwise fail as an out-of-range read, naming no sizes.
  if (data.byteLength !== expected) throw new StoreError(`weight data has ${data.byteLength} bytes, expected ${expected}`);
  let offset = 0;
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const take = (n: number, into = new Float32Array(n), at = 0) => {
    for (let i = 0; i < n; i++) into[at + i] = dv.getFloat32(offset + 4 * i, true);
    offset += 4 * n;
    return into;
  };
  for (const l of layers) {
    kernels.push(take(l.weights));
    const c = biasLength(l);
    if (!l.batchNorm) {
      biases.push(take(c));
      norms.push(new Float32Array(0));
      continue;
    }
    const n = take(c, new Float32Array(3 * c));
    biases.push(take(c));
    norms.push(take(2 * c, n, c));
  }
  return layers.some((l) => l.batchNorm) ? { kernels, biases, norms } : { kernels, biases };
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
