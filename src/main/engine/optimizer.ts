import * as tf from '@tensorflow/tfjs-core';
import type { TrainingSpec } from '../../shared/spec';
import { gammas, type Params } from './model';

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
  /** One update at learning rate `lr` (the schedule's rate for this iteration); `gammaGrads` for batch norm's γ, in layer order. */
  step(kernelGrads: tf.Tensor[], biasGrads: tf.Tensor[], lr: number, gammaGrads?: tf.Tensor[]): void;
  /** The moments and step count, read back asynchronously (WebGPU has no synchronous readback in Node). */
  getState(): Promise<OptimizerState>;
  setState(state: OptimizerState): void;
  dispose(): void;
}

export const BETA1 = 0.9;
export const BETA2 = 0.999;
export const EPSILON = 1e-8;

export function createOptimizer(training: TrainingSpec, params: Params): MaskedOptimizer {
  // Batch norm's γ trains like a bias: never masked, decayed as PyTorch decays every parameter.
  const norms = gammas(params);
  const vars = [...params.kernels, ...params.biases, ...norms];
  const masks: (tf.Tensor | null)[] = [...params.masks, ...params.biases.map(() => null), ...norms.map(() => null)];
  const zeros = () => vars.map((v) => tf.variable(tf.zerosLike(v), false));
  const first = zeros();
  const second = training.optimizer === 'adam' ? zeros() : [];
  const decay = training.weightDecay ?? 0;
  // Scalars made once: creating them inside every op of every step costs more than the small updates themselves.
  const k = tf.tidy(() => ({
    b1: tf.keep(tf.scalar(BETA1)),
    omb1: tf.keep(tf.scalar(1 - BETA1)),
    b2: tf.keep(tf.scalar(BETA2)),
    omb2: tf.keep(tf.scalar(1 - BETA2)),
    momentum: tf.keep(tf.scalar(training.momentum)),
    decay: tf.keep(tf.scalar(decay)),
  }));
  // The SGD rate changes only at schedule boundaries: keep its scalar until it does.
  let lrScalar: { value: number; tensor: tf.Scalar } | null = null;
  const lrOf = (value: number): tf.Scalar => {
    if (lrScalar?.value !== value) {
      lrScalar?.tensor.dispose();
      lrScalar = { value, tensor: tf.keep(tf.scalar(value)) };
    }
    return lrScalar.tensor;
  };
  let t = 0;
  return {
    step(kernelGrads, biasGrads, lr, gammaGrads = []) {
      t += 1;
      if (gammaGrads.length !== norms.length) throw new Error(`optimizer: ${gammaGrads.length} batch-norm gradients for ${norms.length} batch-norm layers`);
      tf.tidy(() => {
        // L2 weight decay joins the gradient before the mask, as PyTorch's weight_decay does; a pruned weight is 0 anyway.
        const grads = [...kernelGrads, ...biasGrads, ...gammaGrads].map((g, i) => {
          const d = decay > 0 ? tf.add(g, tf.mul(vars[i]!, k.decay)) : g;
          return masks[i] ? tf.mul(d, masks[i]!) : d;
        });
        if (training.optimizer === 'adam') {
          // Bias correction folded into the step size and epsilon: lr_t = lr sqrt(1 - b2^t) / (1 - b1^t).
          const c2 = Math.sqrt(1 - BETA2 ** t);
          const lrT = tf.scalar((lr * c2) / (1 - BETA1 ** t));
          const epsT = tf.scalar(EPSILON * c2);
          grads.forEach((g, i) => {
            const m = tf.add(tf.mul(first[i]!, k.b1), tf.mul(g, k.omb1));
            const v = tf.add(tf.mul(second[i]!, k.b2), tf.mul(tf.square(g), k.omb2));
            first[i]!.assign(m);
            second[i]!.assign(v);
            vars[i]!.assign(tf.sub(vars[i]!, tf.mul(tf.div(m, tf.add(tf.sqrt(v), epsT)), lrT)));
          });
        } else {
          grads.forEach((g, i) => {
            const m = tf.add(tf.mul(first[i]!, k.momentum), g);
            first[i]!.assign(m);
            vars[i]!.assign(tf.sub(vars[i]!, tf.mul(m, lrOf(lr))));
          });
        }
      });
    },
    async getState() {
      const read = (vs: tf.Variable[]) => Promise.all(vs.map(async (v) => Float32Array.from((await v.data()) as Float32Array)));
      const step = t;
      const [m, v] = await Promise.all([read(first), read(second)]);
      return { step, first: m, second: v };
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
      tf.dispose([...first, ...second, ...Object.values(k)]);
      lrScalar?.tensor.dispose();
    },
  };
}
