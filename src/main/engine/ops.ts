import * as tf from '@tensorflow/tfjs-core';
import type { Step } from './network';

/*
 * The layers' tensor operations with hand-written gradients where tfjs's own are missing or slow on a backend
 * (checked against tfjs autodiff in test/engine/ops-gradients.test.ts and deep-networks.test.ts).
 */

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

/** Every other row and column, from the first: a stride-2 sample of a stride-1 map (PyTorch's alignment with padding 1). */
export function subsample(x: tf.Tensor4D): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  // [b, h, w, c] -> [b·h/2, 2, w/2, 2c]: row parity on axis 1, column parity in the channel axis; keep both even.
  const pairs = tf.reshape(x, [b * (h / 2), 2, w / 2, 2 * c]);
  return tf.reshape(tf.slice(pairs, [0, 0, 0, 0], [-1, 1, -1, c]), [b, h / 2, w / 2, c]);
}

/**
 * A 1x1 convolution as one matMul over pixels. A stride-2 3x3 convolution is the stride-1 one sampled (4x the
 * arithmetic of that layer, two layers of a ResNet): it keeps conv3x3's gradients, which run on every backend.
 */
export function convolve(step: Extract<Step, { op: 'conv' }>, x: tf.Tensor4D, w: tf.Tensor, first: boolean): tf.Tensor4D {
  if (step.kernel === 1) {
    const input = step.stride === 2 ? subsample(x) : x;
    const [b, h, wd, c] = input.shape;
    const z = tf.matMul(tf.reshape(input, [b * h * wd, c]), tf.reshape(w, [c, step.filters]));
    return tf.reshape(z, [b, h, wd, step.filters]);
  }
  const z = conv3x3(x, w as tf.Tensor4D, !first);
  return step.stride === 2 ? subsample(z) : z;
}

