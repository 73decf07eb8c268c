import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/main/engine/backend';
import { conv3x3, denseFeatureMajor } from '../../src/main/engine/ops';
import { gaussian } from '../../src/main/engine/random';

/** The hand-written gradients must equal tfjs's own autodiff (run on the cpu backend, which has every kernel). */
function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

describe('custom gradients', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });
  afterAll(async () => {
    await initBackend('wasm');
  });

  it('conv3x3 matches tf.conv2d: value, input gradient and filter gradient', () => {
    const x = tf.tensor4d(gaussian(2 * 6 * 5 * 3, 1, 1), [2, 6, 5, 3]);
    const w = tf.tensor4d(gaussian(3 * 3 * 3 * 4, 0.5, 2), [3, 3, 3, 4]);
    const up = tf.tensor4d(gaussian(2 * 6 * 5 * 4, 1, 3), [2, 6, 5, 4]);
    const loss = (f: (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor) => (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a as tf.Tensor4D, b as tf.Tensor4D), up));
    const mine = tf.grads(loss(conv3x3))([x, w]);
    const ref = tf.grads(loss((a, b) => tf.conv2d(a, b, 1, 'same')))([x, w]);
    expect(maxAbsDiff(conv3x3(x, w), tf.conv2d(x, w, 1, 'same'))).toBeLessThan(1e-5);
    expect(maxAbsDiff(mine[0]!, ref[0]!)).toBeLessThan(1e-4);
    expect(maxAbsDiff(mine[1]!, ref[1]!)).toBeLessThan(1e-4);
  });

  it('denseFeatureMajor matches tf.matMul for both gradients, and skips the input gradient of a first layer', () => {
    const x = tf.tensor2d(gaussian(3 * 5, 1, 4), [3, 5]); // W^T [out, in]
    const w = tf.tensor2d(gaussian(5 * 7, 1, 5), [5, 7]); // a^T [in, batch]
    const up = tf.tensor2d(gaussian(3 * 7, 1, 6), [3, 7]);
    const loss = (f: (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor) => (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a as tf.Tensor2D, b as tf.Tensor2D), up));
    const mine = tf.grads(loss((a, b) => denseFeatureMajor(a, b, true)))([x, w]);
    const ref = tf.grads(loss((a, b) => tf.matMul(a, b)))([x, w]);
    expect(maxAbsDiff(mine[0]!, ref[0]!)).toBeLessThan(1e-5);
    expect(maxAbsDiff(mine[1]!, ref[1]!)).toBeLessThan(1e-5);
    const first = tf.grads(loss((a, b) => denseFeatureMajor(a, b, false)))([x, w]);
    expect(maxAbsDiff(first[0]!, ref[0]!)).toBeLessThan(1e-5);
    expect(maxAbsDiff(first[1]!, tf.zerosLike(w))).toBe(0);
  });
});
