// Plain matMul ceiling on the tfjs wasm backend for the shapes of the LeNet-300-100 step.
// Run: node bench/matmul-ceiling.mjs [backend]
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

const backend = process.argv[2] ?? 'wasm';
await tf.setBackend(backend);
await tf.ready();

function rand(shape) { return tf.randomUniform(shape, -1, 1, 'float32', 1); }
function bench(name, a, b, ta, tb, flops, minMs = 1500) {
  for (let i = 0; i < 5; i++) tf.matMul(a, b, ta, tb).dispose();
  let n = 0; const t0 = performance.now(); let t = t0;
  while (t - t0 < minMs) { tf.matMul(a, b, ta, tb).dispose(); n++; t = performance.now(); }
  const ms = (t - t0) / n;
  const gf = flops / ms / 1e6;
  return { name, ms: +ms.toFixed(4), gflops: +gf.toFixed(2) };
}
const B = 60;
const rows = [];
const x = rand([B, 784]), xT = rand([784, B]), W1 = rand([784, 300]), dy1 = rand([B, 300]);
const W2 = rand([300, 100]), h1 = rand([B, 300]), dy2 = rand([B, 100]), h1T = rand([300, B]);
const W3 = rand([100, 10]), h2 = rand([B, 100]), dy3 = rand([B, 10]), h2T = rand([100, B]);
const big = rand([1024, 1024]);
const f1 = 2 * B * 784 * 300, f2 = 2 * B * 300 * 100, f3 = 2 * B * 100 * 10;
rows.push(bench('fwd1 [60,784]x[784,300]', x, W1, false, false, f1));
rows.push(bench('dW1 transposeA [60,784]^T x[60,300]', x, dy1, true, false, f1));
rows.push(bench('dW1 pre-transposed [784,60]x[60,300]', xT, dy1, false, false, f1));
rows.push(bench('dx1 transposeB [60,300]x[784,300]^T', dy1, W1, false, true, f1));
rows.push(bench('fwd2 [60,300]x[300,100]', h1, W2, false, false, f2));
rows.push(bench('dW2 transposeA [60,300]^T x[60,100]', h1, dy2, true, false, f2));
rows.push(bench('dW2 pre-transposed [300,60]x[60,100]', h1T, dy2, false, false, f2));
rows.push(bench('dx2 transposeB [60,100]x[300,100]^T', dy2, W2, false, true, f2));
rows.push(bench('fwd3 [60,100]x[100,10]', h2, W3, false, false, f3));
rows.push(bench('dW3 transposeA [60,100]^T x[60,10]', h2, dy3, true, false, f3));
rows.push(bench('dW3 pre-transposed [100,60]x[60,10]', h2T, dy3, false, false, f3));
rows.push(bench('dx3 transposeB [60,10]x[100,10]^T', dy3, W3, false, true, f3));
// transpose cost
{
  for (let i = 0; i < 5; i++) tf.transpose(x).dispose();
  let n = 0; const t0 = performance.now(); let t = t0;
  while (t - t0 < 1000) { tf.transpose(x).dispose(); n++; t = performance.now(); }
  rows.push({ name: 'transpose [60,784]->[784,60]', ms: +((t - t0) / n).toFixed(4), gflops: null });
}
// In training the weights change every step: XNNPACK re-packs B (the right operand) whenever its
// tensor is new (tfjs caches the packed operator per B tensor id). Measure with a fresh B each call
// (upload cost of B measured separately and subtracted).
function benchFreshB(name, a, bVals, bShape, flops, minMs = 1500) {
  const run = () => { const b = tf.tensor(bVals, bShape); const t0 = performance.now(); tf.matMul(a, b).dispose(); const dt = performance.now() - t0; b.dispose(); return dt; };
  for (let i = 0; i < 5; i++) run();
  let n = 0, tot = 0; const t0 = performance.now();
  while (performance.now() - t0 < minMs) { tot += run(); n++; }
  const ms = tot / n;
  return { name, ms: +ms.toFixed(4), gflops: +(flops / ms / 1e6).toFixed(2) };
}
rows.push(benchFreshB('fwd1 [60,784]x[784,300], fresh W each call (repack)', x, W1.dataSync(), [784, 300], f1));
rows.push(benchFreshB('dW1 [784,60]x[60,300], fresh dy each call', xT, dy1.dataSync(), [60, 300], f1));
const W1T = rand([300, 784]);
rows.push(bench('feature-major fwd1 W^T[300,784]x x^T[784,60]', W1T, xT, false, false, f1));
rows.push(benchFreshB('feature-major fwd1 W^T[300,784]x x^T[784,60], fresh x^T', W1T, xT.dataSync(), [784, 60], f1));
const dz1T = rand([300, 60]);
rows.push(benchFreshB('feature-major dW1^T dz^T[300,60]x x[60,784], fresh x', dz1T, x.dataSync(), [60, 784], f1));
rows.push(bench('1024^2 x 1024^2', big, big, false, false, 2 * 1024 ** 3, 3000));
rows.push(bench('1024^2 transposeA', big, big, true, false, 2 * 1024 ** 3, 3000));
console.log(JSON.stringify({ backend, rows }, null, 1));
