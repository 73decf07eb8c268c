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
 * x @ w with a hand-written gradient: the weight gradient is transpose(x) @ dy as a plain matMul, which
 * backends run far faster than a transposeA matMul, and the input gradient is skipped for the first layer
 * (nothing upstream needs it).
 */
function matMulWeights(x: tf.Tensor2D, w: tf.Tensor, needInputGrad: boolean): tf.Tensor2D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, wi, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    save([xi, wi]);
    return {
      value: tf.matMul(xi, wi) as tf.Tensor,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
        const dx = needInputGrad ? tf.matMul(dy as tf.Tensor2D, ws, false, true) : tf.zerosLike(xs);
        return [dx, tf.matMul(tf.transpose(xs), dy as tf.Tensor2D)];
      },
    };
  });
  return op(x, w) as tf.Tensor2D;
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
        act = tf.relu(tf.add(tf.conv2d(act as tf.Tensor4D, params.kernels[step.layer] as tf.Tensor4D, 1, 'same'), params.biases[step.layer]!));
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
