/**
 * Do 2 Node processes training LeNet-300-100 on wasm (the winning feature-major masked step) reach
 * ~2x aggregate throughput on a 2-core box? And how much event-loop delay does an idle parent see
 * while they train?
 *   bench/build.sh && node bench/.build/two-process.cjs [--seconds 15] [--variant f-featureMajor-xT]
 * Phases: 1 child alone, then 2 children at once; the parent only monitors
 * (perf_hooks.monitorEventLoopDelay, resolution 10 ms) and collects the children's step rates.
 */
import { fork } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const args = process.argv.slice(2);
const arg = (n: string, d: string) => { const i = args.indexOf(`--${n}`); return i >= 0 ? args[i + 1] : d; };
const SECONDS = Number(arg('seconds', '15'));

async function child() {
  const tf = await import('@tensorflow/tfjs');
  await import('@tensorflow/tfjs-backend-wasm');
  const { createFmMlp, fmMlpGrads, fmParams, createAdamState, adamUpdate } = await import('./masked-step');
  await tf.setBackend('wasm');
  await tf.ready();
  const sizes = [784, 300, 100, 10], B = 60;
  const W = [0, 1, 2].map((l) => Float32Array.from({ length: sizes[l] * sizes[l + 1] }, () => (Math.random() - 0.5) * 0.1));
  const masks = W.map((w) => Float32Array.from(w, () => (Math.random() < 0.8 ? 1 : 0)));
  W.forEach((w, l) => w.forEach((_, i) => { w[i] *= masks[l][i]; }));
  const fm = createFmMlp(sizes, W, [0, 1, 2].map((l) => new Float32Array(sizes[l + 1])), masks);
  const { params, masks: pm } = fmParams(fm);
  const st = createAdamState(params);
  const x = Float32Array.from({ length: B * 784 }, () => (Math.random() < 0.19 ? Math.random() : 0));
  const xT = new Float32Array(784 * B);
  for (let i = 0; i < B; i++) for (let j = 0; j < 784; j++) xT[j * B + i] = x[i * 784 + j];
  const y = new Float32Array(B * 10); for (let i = 0; i < B; i++) y[i * 10 + (i % 10)] = 1;
  const step = () => tf.tidy(() => {
    const { grads } = fmMlpGrads(fm, tf.tensor2d(x, [B, 784]), tf.tensor2d(xT, [784, B]), tf.tensor2d(y, [B, 10]));
    adamUpdate(params, pm, st, grads, { lr: 1.2e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
  });
  for (let i = 0; i < 30; i++) step();
  process.send!({ ready: true });
  await new Promise<void>((res) => process.once('message', () => res()));
  const t0 = performance.now(); let n = 0;
  while (performance.now() - t0 < SECONDS * 1000) { step(); n++; }
  fm.WT[0].dataSync();
  const s = (performance.now() - t0) / 1000;
  process.send!({ steps: n, seconds: s, stepsPerSec: n / s });
}

async function phase(k: number) {
  const kids = Array.from({ length: k }, () => fork(__filename, ['--child', ...args], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }));
  await Promise.all(kids.map((c) => new Promise<void>((res) => c.once('message', () => res()))));
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  const results = kids.map((c) => new Promise<{ stepsPerSec: number }>((res) => c.once('message', (m) => res(m as { stepsPerSec: number }))));
  kids.forEach((c) => c.send('go'));
  const r = await Promise.all(results);
  h.disable();
  kids.forEach((c) => c.kill());
  const ms = (v: number) => +(v / 1e6).toFixed(2);
  return {
    processes: k, perProcessStepsPerSec: r.map((x) => +x.stepsPerSec.toFixed(1)),
    aggregateStepsPerSec: +r.reduce((a, x) => a + x.stepsPerSec, 0).toFixed(1),
    parentEventLoopDelayMs: { mean: ms(h.mean), p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max) },
  };
}

async function main() {
  if (args.includes('--child')) return child();
  const { readFileSync } = await import('node:fs');
  const load0 = readFileSync('/proc/loadavg', 'utf8').trim();
  const one = await phase(1);
  const two = await phase(2);
  const out = { seconds: SECONDS, loadavgBefore: load0, loadavgAfter: readFileSync('/proc/loadavg', 'utf8').trim(), one, two, scaling: +(two.aggregateStepsPerSec / one.aggregateStepsPerSec).toFixed(2) };
  console.log(JSON.stringify(out, null, 1));
}
main();
