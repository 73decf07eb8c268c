/**
 * Conv-2 masked training step (conv64-conv64 3x3 same relu, maxpool 2, fc 256-256-10, 32x32x3
 * input, batch 60, Adam 2e-4) on a tfjs backend, for the record.
 *   bench/build.sh && node bench/.build/conv2-step.cjs [--backend wasm|cpu] [--rounds 3] [--chunk 5]
 * Variants:
 *   autodiff:  tf.variableGrads over tf.conv2d / maxPool / matMul, masked grads, tf.train.adam
 *   denseFix:  same, but the fully connected layers use a customGrad whose backward only issues
 *              non-transposed matMuls (explicit tf.transpose), like the LeNet winner.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

const args = process.argv.slice(2);
const arg = (n: string, d: string) => { const i = args.indexOf(`--${n}`); return i >= 0 ? args[i + 1] : d; };
const BACKEND = arg('backend', 'wasm');
const ROUNDS = Number(arg('rounds', '3'));
const CHUNK = Number(arg('chunk', '5'));
const ONLY = arg('only', '');
const B = 60;

const dense = tf.customGrad(((h: tf.Tensor, W: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([h, W]);
  return {
    value: tf.add(tf.matMul(h as tf.Tensor2D, W as tf.Tensor2D), b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [hs, Ws] = saved as tf.Tensor2D[];
      return [tf.matMul(dy as tf.Tensor2D, tf.transpose(Ws)), tf.matMul(tf.transpose(hs), dy as tf.Tensor2D), tf.sum(dy, 0)];
    },
  };
}) as never) as unknown as (h: tf.Tensor, W: tf.Tensor, b: tf.Tensor) => tf.Tensor;

async function main() {
  await tf.setBackend(BACKEND);
  await tf.ready();
  const shapes: number[][] = [[3, 3, 3, 64], [3, 3, 64, 64], [16384, 256], [256, 256], [256, 10]];
  const W = shapes.map((s, i) => tf.variable(tf.randomUniform(s, -0.05, 0.05, 'float32', i)));
  const b = shapes.map((s) => tf.variable(tf.zeros([s[s.length - 1]])));
  const masks = shapes.map((s, i) => tf.cast(tf.greater(tf.randomUniform(s, 0, 1, 'float32', 50 + i), 0.2), 'float32'));
  W.forEach((w, i) => w.assign(tf.mul(w, masks[i])));
  const vars = [...W, ...b];
  const opt = tf.train.adam(2e-4, 0.9, 0.999, 1e-8);
  const xs = Array.from({ length: 4 }, (_, i) => tf.randomUniform([B, 32, 32, 3], 0, 1, 'float32', 100 + i));
  const ys = Array.from({ length: 4 }, (_, i) => tf.oneHot(tf.randomUniform([B], 0, 10, 'int32', 200 + i), 10).toFloat());
  const results: Record<string, unknown>[] = [];
  for (const variant of ['autodiff', 'denseFix']) {
    if (ONLY && ONLY !== variant) continue;
    const fc = (h: tf.Tensor, l: number) => variant === 'denseFix' ? dense(h, W[l], b[l]) : tf.add(tf.matMul(h as tf.Tensor2D, W[l] as tf.Tensor2D), b[l]);
    const step = (i: number) => tf.tidy(() => {
      const { grads } = tf.variableGrads(() => {
        let h: tf.Tensor = tf.relu(tf.add(tf.conv2d(xs[i % 4] as tf.Tensor4D, W[0] as tf.Tensor4D, 1, 'same'), b[0]));
        h = tf.relu(tf.add(tf.conv2d(h as tf.Tensor4D, W[1] as tf.Tensor4D, 1, 'same'), b[1]));
        h = tf.reshape(tf.maxPool(h as tf.Tensor4D, 2, 2, 'valid'), [B, 16384]);
        h = tf.relu(fc(h, 2));
        h = tf.relu(fc(h, 3));
        return tf.losses.softmaxCrossEntropy(ys[i % 4], fc(h, 4)) as tf.Scalar;
      }, vars);
      for (let l = 0; l < W.length; l++) grads[W[l].name] = tf.mul(grads[W[l].name], masks[l]);
      opt.applyGradients(grads as never);
    });
    try {
      for (let i = 0; i < 2; i++) step(i);
      const times: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const t0 = performance.now();
        for (let i = 0; i < CHUNK; i++) step(i);
        W[0].dataSync();
        times.push((performance.now() - t0) / CHUNK);
      }
      const prof = await tf.profile(() => step(0));
      const agg = new Map<string, number>();
      for (const k of prof.kernels) {
        const key = `${k.name} ${JSON.stringify(k.inputShapes)}`;
        agg.set(key, (agg.get(key) ?? 0) + (await (k.kernelTimeMs as unknown as Promise<number>)));
      }
      const top = [...agg.entries()].sort((a, c) => c[1] - a[1]).slice(0, 8).map(([k, ms]) => `${ms.toFixed(1)} ms ${k}`);
      const best = Math.min(...times);
      const zero = W.every((w, l) => { const wv = w.dataSync(), mv = masks[l].dataSync(); return mv.every((m, i) => m === 1 || wv[i] === 0); });
      const res = { network: 'conv-2', backend: tf.getBackend(), variant, stepsPerSec: +(1000 / best).toFixed(2), examplesPerSec: +(B * 1000 / best).toFixed(1), msPerStep: +best.toFixed(1), chunkMs: times.map((t) => +t.toFixed(1)), prunedExactlyZero: zero, top };
      results.push(res);
      console.error(JSON.stringify(res, null, 1));
    } catch (e) {
      const res = { network: 'conv-2', backend: tf.getBackend(), variant, error: String((e as Error).message ?? e) };
      results.push(res);
      console.error(JSON.stringify(res));
    }
  }
  console.log(JSON.stringify(results));
}
main();
