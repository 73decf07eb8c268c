import * as tf from '@tensorflow/tfjs-core';
import type { NetworkPlan } from './network';
import type { Mask, WeightSet } from './types';

/** Trainable state of one run on the active backend. Masks live beside the kernels they gate. */
export interface Params {
  kernels: tf.Variable[];
  biases: tf.Variable[];
  masks: tf.Tensor[];
}

export function createParams(plan: NetworkPlan, weights: WeightSet, mask: Mask): Params {
  return {
    kernels: plan.layers.map((l, i) => tf.variable(tf.tensor(weights.kernels[i]!, l.shape), true, `k${i}`)),
    biases: plan.layers.map((l, i) => tf.variable(tf.tensor1d(weights.biases[i]!), true, `b${i}`)),
    masks: plan.layers.map((l, i) => tf.tensor(mask[i]!, l.shape, 'float32')),
  };
}

export function readWeights(params: Params): WeightSet {
  return {
    kernels: params.kernels.map((k) => k.dataSync() as Float32Array).map((a) => Float32Array.from(a)),
    biases: params.biases.map((b) => b.dataSync() as Float32Array).map((a) => Float32Array.from(a)),
  };
}

export function disposeParams(params: Params): void {
  tf.dispose([...params.kernels, ...params.biases, ...params.masks]);
}

/**
 * x @ w with a hand-written gradient built only from non-transposed matMuls: wasm's fast matMul path
 * (XNNPACK) takes no transposed operand and falls back to a naive loop 10x slower, which is what autodiff's
 * transposeA/transposeB products hit. Explicit transposes are cheap; the input gradient of the first layer
 * is skipped (nothing upstream needs it).
 */
export function matMulWeights(x: tf.Tensor2D, w: tf.Tensor, needInputGrad: boolean): tf.Tensor2D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, wi, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    save([xi, wi]);
    return {
      value: tf.matMul(xi, wi) as tf.Tensor,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
        const dx = needInputGrad ? tf.matMul(dy as tf.Tensor2D, tf.transpose(ws)) : tf.zerosLike(xs);
        return [dx, tf.matMul(tf.transpose(xs), dy as tf.Tensor2D)];
      },
    };
  });
  return op(x, w) as tf.Tensor2D;
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
 * Logits for a batch given as [batch, height * width * channels] (NHWC flattened). Pruned kernel entries are
 * exactly zero in the variables themselves (the optimizer never moves them), so no mask multiply is needed here.
 */
export function forward(plan: NetworkPlan, params: Params, x: tf.Tensor2D, dropoutSeed: number | null): tf.Tensor2D {
  const [h, w, c] = plan.inputShape;
  let act: tf.Tensor = plan.steps[0]?.op === 'conv' || plan.steps[0]?.op === 'pool' ? tf.reshape(x, [-1, h, w, c]) : x;
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
        const z = tf.add(matMulWeights(act as tf.Tensor2D, params.kernels[step.layer]!, !first), params.biases[step.layer]!);
        first = false;
        act = step.relu ? tf.relu(z) : z;
        if (step.dropout > 0 && dropoutSeed !== null) act = tf.dropout(act, step.dropout, undefined, dropoutSeed + step.layer);
        break;
      }
    }
  }
  return act as tf.Tensor2D;
}
