import * as tf from '@tensorflow/tfjs-core';
import type { TrainingSpec } from '../../shared/spec';
import type { Params } from './model';

/**
 * Adam and SGD with momentum over masked gradients. A pruned weight gets gradient 0, so its moments stay 0
 * and its update is lr * 0 / (0 + eps) = 0: it stays exactly zero, through Adam's state too.
 * State is plain variables so a checkpoint can read and restore it.
 */
export interface OptimizerState {
  step: number;
  first: Float32Array[];
  second: Float32Array[];
}

export interface MaskedOptimizer {
  step(kernelGrads: tf.Tensor[], biasGrads: tf.Tensor[]): void;
  getState(): OptimizerState;
  setState(state: OptimizerState): void;
  dispose(): void;
}

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-8;

export function createOptimizer(training: TrainingSpec, params: Params): MaskedOptimizer {
  const vars = [...params.kernels, ...params.biases];
  const zeros = () => vars.map((v) => tf.variable(tf.zerosLike(v), false));
  const first = zeros();
  const second = training.optimizer === 'adam' ? zeros() : [];
  const lr = training.learningRate;
  let t = 0;
  return {
    step(kernelGrads, biasGrads) {
      t += 1;
      tf.tidy(() => {
        const grads = [...kernelGrads.map((g, i) => tf.mul(g, params.masks[i]!)), ...biasGrads];
        if (training.optimizer === 'adam') {
          const lrT = (lr * Math.sqrt(1 - BETA2 ** t)) / (1 - BETA1 ** t);
          grads.forEach((g, i) => {
            const m = tf.add(tf.mul(first[i]!, BETA1), tf.mul(g, 1 - BETA1));
            const v = tf.add(tf.mul(second[i]!, BETA2), tf.mul(tf.square(g), 1 - BETA2));
            first[i]!.assign(m);
            second[i]!.assign(v);
            vars[i]!.assign(tf.sub(vars[i]!, tf.div(tf.mul(m, lrT), tf.add(tf.sqrt(v), EPSILON))));
          });
        } else {
          grads.forEach((g, i) => {
            const m = tf.add(tf.mul(first[i]!, training.momentum), g);
            first[i]!.assign(m);
            vars[i]!.assign(tf.sub(vars[i]!, tf.mul(m, lr)));
          });
        }
      });
    },
    getState() {
      const read = (vs: tf.Variable[]) => vs.map((v) => Float32Array.from(v.dataSync() as Float32Array));
      return { step: t, first: read(first), second: read(second) };
    },
    setState(state) {
      if (state.first.length !== first.length || state.second.length !== second.length) {
        throw new Error('optimizer state does not match this network and optimizer');
      }
      t = state.step;
      state.first.forEach((a, i) => first[i]!.assign(tf.tensor(a, first[i]!.shape)));
      state.second.forEach((a, i) => second[i]!.assign(tf.tensor(a, second[i]!.shape)));
    },
    dispose() {
      tf.dispose([...first, ...second]);
    },
  };
}
