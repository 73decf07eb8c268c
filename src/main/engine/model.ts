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

export function readWeights(plan: NetworkPlan, params: Params): WeightSet {
  return {
    kernels: params.kernels.map((k, i) => {
      const l = plan.layers[i]!;
      const data = k.dataSync() as Float32Array;
      return l.kind === 'conv' ? Float32Array.from(data) : transposed(data, l.shape[1]!, l.shape[0]!);
    }),
    biases: params.biases.map((b) => Float32Array.from(b.dataSync() as Float32Array)),
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
 * A 3x3 'same' convolution with its own gradient: the input gradient is the transposed convolution, and the
 * filter gradient is, for each of the 9 kernel offsets, shifted input^T @ dy as plain matMuls. tfjs's wasm
 * backend has no Conv2DBackpropFilter kernel, so autodiff of conv2d cannot train there; this runs everywhere.
 */
export function conv3x3(x: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, wi, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    save([xi, wi]);
    return {
      value: tf.conv2d(xi, wi, 1, 'same'),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
        const [b, h, wd, c] = xs.shape;
        const f = ws.shape[3];
        const dx = tf.conv2dTranspose(dy as tf.Tensor4D, ws, xs.shape, 1, 'same');
        const padded = tf.pad(xs, [[0, 0], [1, 1], [1, 1], [0, 0]]);
        const dyFlat = tf.reshape(dy, [b * h * wd, f]) as tf.Tensor2D;
        const taps: tf.Tensor[] = [];
        for (let ky = 0; ky < 3; ky++) {
          for (let kx = 0; kx < 3; kx++) {
            const shifted = tf.reshape(tf.slice(padded, [0, ky, kx, 0], [b, h, wd, c]), [b * h * wd, c]) as tf.Tensor2D;
            taps.push(tf.matMul(tf.transpose(shifted), dyFlat));
          }
        }
        return [dx, tf.reshape(tf.stack(taps), [3, 3, c, f])];
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
        act = tf.relu(tf.add(conv3x3(act as tf.Tensor4D, params.kernels[step.layer] as tf.Tensor4D), params.biases[step.layer]!));
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
