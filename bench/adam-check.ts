/**
 * Does maskedAdamStep compute the same thing as tf.train.adam? Feed both the same fixed gradient
 * sequence (independent of the weights, so no chaotic amplification) and compare weights.
 * Then measure how fast two *identical-math* trainings drift apart when the gradients differ by
 * float32 rounding only (chaos of Adam on near-zero gradients).
 * Run: bench/build.sh && node bench/.build/adam-check.cjs
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { createAdamState, maskedAdamStep, type MaskedMlp } from './masked-step';

async function main() {
  await tf.setBackend(process.argv[2] ?? 'wasm'); await tf.ready();
  const shapes = [[784, 300], [300, 100], [100, 10]];
  const mk = (): MaskedMlp => ({
    W: shapes.map((s, l) => tf.variable(tf.randomUniform(s, -0.1, 0.1, 'float32', 7 + l))),
    b: shapes.map((s) => tf.variable(tf.zeros([s[1]]))),
    masks: shapes.map((s, l) => tf.cast(tf.greater(tf.randomUniform(s, 0, 1, 'float32', 100 + l), 0.2), 'float32')),
  });
  const A = mk(), Bm = mk();
  for (let l = 0; l < 3; l++) { A.W[l].assign(tf.mul(A.W[l], A.masks[l]!)); Bm.W[l].assign(tf.mul(Bm.W[l], Bm.masks[l]!)); }
  const opt = tf.train.adam(1.2e-3, 0.9, 0.999, 1e-8);
  const st = createAdamState(Bm);
  const report = (t: number) => {
    let maxd = 0, maxw = 0;
    for (let l = 0; l < 3; l++) {
      const a = A.W[l].dataSync(), b = Bm.W[l].dataSync();
      for (let i = 0; i < a.length; i++) { maxd = Math.max(maxd, Math.abs(a[i] - b[i])); maxw = Math.max(maxw, Math.abs(a[i])); }
    }
    console.log(`step ${t}: max |W_tfadam - W_maskedAdam| = ${maxd.toExponential(2)} (max |W| ${maxw.toFixed(3)})`);
  };
  for (let t = 1; t <= 200; t++) {
    tf.tidy(() => {
      const g = shapes.flatMap((s, l) => [tf.randomNormal(s, 0, 0.01, 'float32', t * 10 + l), tf.randomNormal([s[1]], 0, 0.01, 'float32', t * 10 + 5 + l)]);
      const named: tf.NamedTensorMap = {};
      for (let l = 0; l < 3; l++) { named[A.W[l].name] = tf.mul(g[2 * l], A.masks[l]!); named[A.b[l].name] = g[2 * l + 1]; }
      opt.applyGradients(named as never);
      maskedAdamStep(Bm, st, g, { lr: 1.2e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
    });
    if ([1, 2, 5, 10, 50, 200].includes(t)) report(t);
  }
}
main();
