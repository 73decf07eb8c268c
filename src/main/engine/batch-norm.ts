import * as tf from '@tensorflow/tfjs-core';

/** PyTorch's BatchNorm2d defaults, so that runs compare with open_lth's. */
export const BN_EPSILON = 1e-5;
export const BN_MOMENTUM = 0.1;

/**
 * Training-mode batch norm over [b, h, w, c] with the closed-form gradient of Ioffe & Szegedy 2015 (section 3):
 * dβ = Σ dy, dγ = Σ dy·x̂, dx = γ/σ · (dy − dβ/n − x̂·dγ/n). Autodiff of the composed ops takes about twice the
 * passes over the activations, and batch norm was ~30% of a wasm ResNet-20 step (BENCHMARKS.md). Not twice
 * differentiable: GraSP's Hessian-gradient product scores with the composed ops (pruning/common.ts).
 * The batch's mean and (biased) variance are handed to `onStats`, kept: the caller folds and disposes them.
 */
export function batchNormTraining(z: tf.Tensor4D, gamma: tf.Tensor, beta: tf.Tensor, onStats: (mean: tf.Tensor1D, variance: tf.Tensor1D) => void): tf.Tensor4D {
  const [b, h, w] = z.shape;
  const n = b * h * w;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, g, bt, save] = args as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const mean = tf.mean(x, [0, 1, 2]);
    const centred = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centred), [0, 1, 2]);
    const inv = tf.rsqrt(tf.add(variance, BN_EPSILON));
    const xhat = tf.mul(centred, inv);
    onStats(tf.keep(mean) as tf.Tensor1D, tf.keep(variance) as tf.Tensor1D);
    save([xhat, tf.mul(g, inv)]);
    return {
      value: tf.add(tf.mul(xhat, g), bt),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, scale] = saved as [tf.Tensor4D, tf.Tensor1D];
        const dBeta = tf.sum(dy, [0, 1, 2]);
        const dGamma = tf.sum(tf.mul(dy, xh), [0, 1, 2]);
        const dx = tf.mul(tf.sub(tf.sub(dy, tf.div(dBeta, n)), tf.mul(xh, tf.div(dGamma, n))), scale);
        return [dx, dGamma, dBeta];
      },
    };
  });
  return op(z, gamma, beta) as tf.Tensor4D;
}
