import * as tf from '@tensorflow/tfjs-core';
import type { LayerInfo } from '../../shared/results';
import type { NetworkPlan } from './network';
import type { Mask, WeightSet } from './types';

/**
 * Trainable state of one run on the active backend. Dense kernels live transposed, as W^T [out, in], with
 * activations as [features, batch]: then every matMul of a training step has the big kernel as its left
 * operand and no transposed operand, which keeps wasm on XNNPACK's fast path without re-packing the kernel
 * after each update (bench/FINDINGS.md: 1.3x over the row-major layout). WeightSet, masks and checkpoints
 * outside this file stay in the usual [in, out] layout.
 */
export interface Params {
  kernels: tf.Variable[];
  biases: tf.Variable[];
  masks: tf.Tensor[];
}

/** [rows, cols] row-major -> [cols, rows] row-major. */
function transposed(a: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c]!;
  return out;
}

function storedShape(l: LayerInfo): number[] {
  return l.kind === 'conv' ? l.shape : [l.shape[1]!, l.shape[0]!];
}

function toStored(l: LayerInfo, a: Float32Array | Uint8Array): Float32Array {
  return l.kind === 'conv' ? Float32Array.from(a) : transposed(a, l.shape[0]!, l.shape[1]!);
}

export function createParams(plan: NetworkPlan, weights: WeightSet, mask: Mask): Params {
  return {
    kernels: plan.layers.map((l, i) => tf.variable(tf.tensor(toStored(l, weights.kernels[i]!), storedShape(l)), true)),
    biases: plan.layers.map((l, i) => tf.variable(tf.tensor1d(weights.biases[i]!), true)),
    masks: plan.layers.map((l, i) => tf.tensor(toStored(l, mask[i]!), storedShape(l))),
  };
}

/** Reads the weights back to plain arrays, asynchronously (WebGPU has no synchronous readback in Node). */
export async function readWeights(plan: NetworkPlan, params: Params): Promise<WeightSet> {
  const [kernels, biases] = await Promise.all([Promise.all(params.kernels.map((k) => k.data())), Promise.all(params.biases.map((b) => b.data()))]);
  return {
    kernels: kernels.map((data, i) => {
      const l = plan.layers[i]!;
      return l.kind === 'conv' ? Float32Array.from(data as Float32Array) : transposed(data as Float32Array, l.shape[1]!, l.shape[0]!);
    }),
    biases: biases.map((data) => Float32Array.from(data as Float32Array)),
  };
}

export function disposeParams(params: Params): void {
  tf.dispose([...params.kernels, ...params.biases, ...params.masks]);
}

/**
 * W^T @ a^T (feature-major dense layer) with a hand-written gradient built only from non-transposed matMuls:
 * wasm's fast matMul path takes no transposed operand and falls back to a naive loop 10x slower, which is
 * what autodiff's transposeA/transposeB products hit. Explicit transposes are cheap. The input gradient of
 * the first layer is skipped (nothing upstream needs it).
 */
export function denseFeatureMajor(wT: tf.Tensor, aT: tf.Tensor2D, needInputGrad: boolean): tf.Tensor2D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [wi, ai, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    save([wi, ai]);
    return {
      value: tf.matMul(wi, ai) as tf.Tensor,
      gradFunc: (dzT: tf.Tensor, saved: tf.Tensor[]) => {
        const [ws, as] = saved as [tf.Tensor2D, tf.Tensor2D];
        const dW = tf.matMul(dzT as tf.Tensor2D, tf.transpose(as));
        const dA = needInputGrad ? tf.matMul(tf.transpose(ws), dzT as tf.Tensor2D) : tf.zerosLike(as);
        return [dW, dA];
      },
    };
  });
  return op(wT, aT) as tf.Tensor2D;
}

/**
 * A 3x3 'same' convolution with its own gradient, built from kernels that are fast on every backend. tfjs's
 * wasm backend has no Conv2DBackpropFilter kernel (autodiff of conv2d cannot train there) and its
 * Conv2DBackpropInput is a naive loop (57% of a Conv-2 step; bench/FINDINGS.md). So:
 * - the input gradient is a forward conv2d of dy with the filter rotated 180 degrees and its in/out channels
 *   swapped (exact for stride 1, 'same', odd kernel), skipped for the first layer (nothing upstream needs it);
 * - the filter gradient is one forward conv2d too, with batch and channels swapped (2.5-3.5x faster on wasm
 *   than 9 shifted-input matMuls, whose slices and transposes copy the activations 18 times).
 */
export function conv3x3(x: tf.Tensor4D, w: tf.Tensor4D, needInputGrad = true): tf.Tensor4D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, wi, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    save([xi, wi]);
    return {
      value: tf.conv2d(xi, wi, 1, 'same'),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
        const dx = needInputGrad ? tf.conv2d(dy as tf.Tensor4D, tf.transpose(tf.reverse(ws, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D, 1, 'same') : tf.zerosLike(xs);
        // dW[ky, kx, ci, f] = sum over b, y, x of padded[b, y + ky, x + kx, ci] * dy[b, y, x, f]: a 'valid' conv2d with
        // batch and channels swapped, the padded input [c, h+2, w+2, b] as the image and dy [h, w, b, f] as the filter.
        const padded = tf.pad(xs, [[0, 0], [1, 1], [1, 1], [0, 0]]);
        const image = tf.transpose(padded, [3, 1, 2, 0]) as tf.Tensor4D;
        const filter = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D;
        const dW = tf.transpose(tf.conv2d(image, filter, 1, 'valid'), [1, 2, 0, 3]); // [c, 3, 3, f] -> [3, 3, c, f]
        return [dx, dW];
      },
    };
  });
  return op(x, w) as tf.Tensor4D;
}

/**
 * Logits [batch, classes] for a batch given as [batch, height * width * channels] (NHWC flattened). Pruned
 * kernel entries are exactly zero in the variables themselves (the optimizer never moves them), so no mask
 * multiply is needed here.
 */
export function forward(plan: NetworkPlan, params: Params, x: tf.Tensor2D, dropoutSeed: number | null): tf.Tensor2D {
  const [h, w, c] = plan.inputShape;
  const isConv = plan.steps[0]?.op === 'conv' || plan.steps[0]?.op === 'pool';
  let act: tf.Tensor = isConv ? tf.reshape(x, [-1, h, w, c]) : x;
  let featureMajor = false;
  let first = true;
  for (const step of plan.steps) {
    switch (step.op) {
      case 'conv':
        act = tf.relu(tf.add(conv3x3(act as tf.Tensor4D, params.kernels[step.layer] as tf.Tensor4D, !first), params.biases[step.layer]!));
        first = false;
        break;
      case 'pool':
        act = tf.maxPool(act as tf.Tensor4D, 2, 2, 'valid');
        break;
      case 'flatten':
        act = tf.reshape(act, [act.shape[0]!, -1]);
        break;
      case 'dense': {
        if (!featureMajor) {
          act = tf.transpose(act);
          featureMajor = true;
        }
        const bias = tf.reshape(params.biases[step.layer]!, [-1, 1]);
        const z = tf.add(denseFeatureMajor(params.kernels[step.layer]!, act as tf.Tensor2D, !first), bias);
        first = false;
        act = step.relu ? tf.relu(z) : z;
        if (step.dropout > 0 && dropoutSeed !== null) act = tf.dropout(act, step.dropout, undefined, dropoutSeed + step.layer);
        break;
      }
    }
  }
  return tf.transpose(act) as tf.Tensor2D;
}
