import * as tf from '@tensorflow/tfjs-core';
import type { NetworkPlan } from '../network';
import type { Mask, WeightSet } from '../types';

/**
 * R independent runs of one dense network as one model: every layer's kernel is a stack [R, out, in] (each run's
 * W^T, the feature-major layout of model.ts), its bias [R, out], and activations travel as [R, features, batch].
 * A training step is then the same ~30 kernels whatever R is, with batched matMuls.
 *
 * How a batched matMul is computed depends on the backend:
 * - 'batched': one tf.matMul on the [R, ...] stacks (WebGPU, tfjs-node, cpu): one dispatch per product.
 * - 'split': R 2-D matMuls on slices, stacked again. tfjs-backend-wasm runs a batched matMul (batch > 1) in a naive
 *   blocked loop and only 2-D products on XNNPACK (tfjs-backend-wasm/src/cc/batch_mat_mul_impl.cc: xnn_matmul only
 *   when both batch dims are 1), so on wasm each run's product stays the very kernel call the one-run trainer makes.
 * Everything else (bias, ReLU, dropout, loss, the optimizer) is one op over the stack in both modes.
 *
 * Conv layers are not packed (yet): packedSupported() says no and the executor trains those runs one at a time.
 */
export type MatMulMode = 'batched' | 'split';

export interface PackedParams {
  /** [R, out, in] per layer. */
  kernels: tf.Variable[];
  /** [R, out] per layer. */
  biases: tf.Variable[];
  /** [R, out, in] 0/1 per layer. */
  masks: tf.Tensor[];
}

/** Packing covers networks of dense layers only (LeNet-300-100, custom MLPs). */
export function packedSupported(plan: NetworkPlan): boolean {
  return plan.steps.every((s) => s.op === 'dense');
}

/** The matMul strategy for the active backend: split on wasm (see above), batched elsewhere. */
export function defaultMatMulMode(): MatMulMode {
  return tf.getBackend() === 'wasm' ? 'split' : 'batched';
}

/** [rows, cols] row-major -> [cols, rows] row-major, written at `out[offset..]`. */
function transposeInto(a: ArrayLike<number>, rows: number, cols: number, out: Float32Array, offset: number): void {
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[offset + c * rows + r] = a[r * cols + c]!;
}

/** Stacks each run's [in, out] kernels (WeightSet layout) as [R, out, in]. */
export function stackKernels(plan: NetworkPlan, layer: number, perRun: ArrayLike<number>[]): Float32Array {
  const [inD, outD] = plan.layers[layer]!.shape as [number, number];
  const out = new Float32Array(perRun.length * inD * outD);
  perRun.forEach((k, r) => transposeInto(k, inD, outD, out, r * inD * outD));
  return out;
}

export function stackBiases(perRun: Float32Array[]): Float32Array {
  const n = perRun[0]!.length;
  const out = new Float32Array(perRun.length * n);
  perRun.forEach((b, r) => out.set(b, r * n));
  return out;
}

export function kernelShape(plan: NetworkPlan, layer: number, runs: number): [number, number, number] {
  const [inD, outD] = plan.layers[layer]!.shape as [number, number];
  return [runs, outD, inD];
}

/** A variable holding `t`'s values; `t` itself is disposed (tf.variable leaves its initial tensor alive otherwise). */
export function variableFrom(t: tf.Tensor, trainable: boolean): tf.Variable {
  const v = tf.variable(t, trainable);
  t.dispose();
  return v;
}

export function createPackedParams(plan: NetworkPlan, weights: WeightSet[], masks: Mask[]): PackedParams {
  const R = weights.length;
  return {
    kernels: plan.layers.map((_, i) =>
      variableFrom(tf.tensor3d(stackKernels(plan, i, weights.map((w) => w.kernels[i]!)), kernelShape(plan, i, R)), true),
    ),
    biases: plan.layers.map((_, i) => {
      const b = stackBiases(weights.map((w) => w.biases[i]!));
      return variableFrom(tf.tensor2d(b, [R, b.length / R]), true);
    }),
    masks: plan.layers.map((_, i) => tf.tensor3d(stackKernels(plan, i, masks.map((m) => m[i]!)), kernelShape(plan, i, R))),
  };
}

export function disposePackedParams(p: PackedParams): void {
  tf.dispose([...p.kernels, ...p.biases, ...p.masks]);
}

/** Run r's weights in the WeightSet layout ([in, out] kernels), read asynchronously (no sync readback on WebGPU). */
export async function readRunWeights(plan: NetworkPlan, p: PackedParams, r: number): Promise<WeightSet> {
  const kernels: Float32Array[] = [];
  const biases: Float32Array[] = [];
  for (let i = 0; i < plan.layers.length; i++) {
    const [inD, outD] = plan.layers[i]!.shape as [number, number];
    const slices = tf.tidy(() => [tf.slice(p.kernels[i]!, [r, 0, 0], [1, outD, inD]), tf.slice(p.biases[i]!, [r, 0], [1, outD])]);
    const [k, b] = (await Promise.all(slices.map((s) => s.data()))) as Float32Array[];
    tf.dispose(slices);
    const w = new Float32Array(inD * outD);
    transposeInto(k!, outD, inD, w, 0);
    kernels.push(w);
    biases.push(Float32Array.from(b!));
  }
  return { kernels, biases };
}

/** Row r of a stacked tensor as plain floats (the stored layout, as the one-run optimizer state keeps it). */
export async function readRow(t: tf.Tensor, r: number): Promise<Float32Array> {
  const s = tf.tidy(() => tf.slice(t, [r, ...t.shape.slice(1).map(() => 0)], [1, ...t.shape.slice(1)]));
  const out = Float32Array.from((await s.data()) as Float32Array);
  s.dispose();
  return out;
}

function mm(a: tf.Tensor3D, b: tf.Tensor3D, mode: MatMulMode): tf.Tensor3D {
  if (mode === 'batched') return tf.matMul(a, b);
  // One run: reshapes share the data, no slice copies.
  if (a.shape[0] === 1) {
    const a2 = tf.reshape(a, [a.shape[1], a.shape[2]]) as tf.Tensor2D;
    const b2 = tf.reshape(b, [b.shape[1], b.shape[2]]) as tf.Tensor2D;
    return tf.reshape(tf.matMul(a2, b2), [1, a.shape[1], b.shape[2]]);
  }
  const as = tf.unstack(a) as tf.Tensor2D[];
  const bs = tf.unstack(b) as tf.Tensor2D[];
  return tf.stack(as.map((x, r) => tf.matMul(x, bs[r]!))) as tf.Tensor3D;
}

/**
 * Z = K @ A per run ([R, out, in] @ [R, in, batch]), with the gradient of ops.ts's denseFeatureMajor per run:
 * dK = dZ @ A^T, dA = K^T @ dZ (skipped for the first layer), explicit transposes and non-transposed products.
 */
export function packedDense(k: tf.Tensor3D, a: tf.Tensor3D, needInputGrad: boolean, mode: MatMulMode): tf.Tensor3D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [ki, ai, save] = args as [tf.Tensor3D, tf.Tensor3D, tf.GradSaveFunc];
    save([ki, ai]);
    return {
      value: mm(ki, ai, mode) as tf.Tensor,
      gradFunc: (dz: tf.Tensor, saved: tf.Tensor[]) => {
        const [ks, as] = saved as [tf.Tensor3D, tf.Tensor3D];
        const dK = mm(dz as tf.Tensor3D, tf.transpose(as, [0, 2, 1]), mode);
        const dA = needInputGrad ? mm(tf.transpose(ks, [0, 2, 1]), dz as tf.Tensor3D, mode) : tf.zerosLike(as);
        return [dK, dA];
      },
    };
  });
  return op(k, a) as tf.Tensor3D;
}

/**
 * tf.dropout's multiplier for one run and layer, drawn exactly as the one-run trainer draws it on its [out, batch]
 * activations (model.ts: tf.dropout(act, rate, undefined, seed + layer)): floor(U[0,1) + keep) / keep.
 */
function dropoutMultiplier(shape: [number, number], rate: number, seed: number): tf.Tensor2D {
  const keepProb = 1 - rate;
  return tf.div(tf.floor(tf.add(tf.randomUniform(shape, 0, 1, 'float32', seed), keepProb)), keepProb);
}

/**
 * Logits [R, batch, classes] for inputs [R, batch, features]. `dropoutSeeds[r]` is run r's seed for this iteration
 * (deriveSeed(trialSeed, variant, round, it)), or null for no dropout (evaluation, or no dropout in the network).
 */
export function packedForward(plan: NetworkPlan, p: PackedParams, x: tf.Tensor3D, dropoutSeeds: number[] | null, mode: MatMulMode): tf.Tensor3D {
  let act: tf.Tensor3D = tf.transpose(x, [0, 2, 1]);
  let first = true;
  const R = x.shape[0];
  for (const step of plan.steps) {
    if (step.op !== 'dense') throw new Error(`packed training covers dense layers only, not '${step.op}'`);
    const bias = tf.reshape(p.biases[step.layer]!, [R, -1, 1]);
    const z = tf.add(packedDense(p.kernels[step.layer] as tf.Tensor3D, act, !first, mode), bias) as tf.Tensor3D;
    first = false;
    act = step.relu ? tf.relu(z) : z;
    if (step.dropout > 0 && dropoutSeeds !== null) {
      const shape: [number, number] = [act.shape[1], act.shape[2]];
      const mult = tf.stack(dropoutSeeds.map((s) => dropoutMultiplier(shape, step.dropout, s + step.layer)));
      act = tf.mul(act, mult);
    }
  }
  return tf.transpose(act, [0, 2, 1]);
}
