import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/main/engine/backend';
import { BN_EPSILON, type BatchStats } from '../../src/main/engine/batch-norm';
import { createParams, disposeParams, forward, type Params } from '../../src/main/engine/model';
import { planNetwork, type NetworkPlan, type Step } from '../../src/main/engine/network';
import { gaussian } from '../../src/main/engine/random';
import { denseMask, initialWeights } from '../../src/main/engine/weights';

/**
 * The reference: the same network from tfjs's stock ops (strided conv2d with explicit padding as PyTorch pads,
 * tf.moments batch norm), differentiated by tfjs autodiff on the cpu backend.
 */
function referenceForward(plan: NetworkPlan, p: Params, x: tf.Tensor2D, train: boolean): tf.Tensor2D {
  const [h, w, c] = plan.inputShape;
  let act: tf.Tensor = tf.reshape(x, [-1, h, w, c]);
  const forks: tf.Tensor4D[] = [];
  const conv = (s: Extract<Step, { op: 'conv' }>, a: tf.Tensor4D): tf.Tensor4D => {
    const pad = s.kernel === 3 ? 1 : 0;
    let z = tf.conv2d(a, p.kernels[s.layer] as tf.Tensor4D, s.stride, [[0, 0], [pad, pad], [pad, pad], [0, 0]]);
    const n = p.norms[s.layer];
    if (n) {
      const m = train ? tf.moments(z, [0, 1, 2]) : { mean: n.mean, variance: n.variance };
      z = tf.add(tf.mul(tf.div(tf.sub(z, m.mean), tf.sqrt(tf.add(m.variance, BN_EPSILON))), n.gamma), p.biases[s.layer]!);
    } else z = tf.add(z, p.biases[s.layer]!);
    return s.relu ? tf.relu(z) : z;
  };
  for (const s of plan.steps) {
    if (s.op === 'conv') act = conv(s, act as tf.Tensor4D);
    else if (s.op === 'fork') forks.push(act as tf.Tensor4D);
    else if (s.op === 'join') {
      const input = forks.pop()!;
      act = tf.relu(tf.add(act, s.projection ? conv(s.projection, input) : input));
    } else if (s.op === 'average') act = tf.mean(act, [1, 2]);
    else if (s.op === 'pool') act = tf.maxPool(act as tf.Tensor4D, 2, 2, 'valid');
    else if (s.op === 'flatten') act = tf.reshape(act, [act.shape[0]!, -1]);
    else if (s.op === 'dense') {
      // Kernels live as W^T [out, in].
      const z = tf.add(tf.matMul(act as tf.Tensor2D, p.kernels[s.layer] as tf.Tensor2D, false, true), p.biases[s.layer]!);
      act = s.relu ? tf.relu(z) : z;
    }
  }
  return act as tf.Tensor2D;
}

export const tinyResidual = { conv: [], dense: [], dropout: 0, residual: { widths: [4, 8], blocks: 2 }, batchNorm: true };

/** Loss, logits and every gradient (kernels, biases, γ) of one training batch on `backend`. */
export async function gradientsOn(backend: 'cpu' | 'wasm' | 'webgpu', reference: boolean): Promise<Float32Array[]> {
  await initBackend(backend);
  const plan = planNetwork(tinyResidual, [8, 8, 3], 5);
  const init = initialWeights(plan.layers, 11);
  // Non-trivial γ, β and running statistics, so that every term of batch norm shows in the gradients.
  init.norms = init.norms!.map((n, i) => (n.length ? gaussian(n.length, 0.3, 100 + i).map((v, j) => (j >= (2 * n.length) / 3 ? 1 + Math.abs(v) : 1 + v)) : n));
  init.biases = init.biases.map((b, i) => gaussian(b.length, 0.1, 200 + i));
  const params = createParams(plan, init, denseMask(plan.layers));
  const x = tf.tensor2d(gaussian(6 * 8 * 8 * 3, 1, 5), [6, 8 * 8 * 3]);
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 0], 'int32'), 5);
  const vars = [...params.kernels, ...params.biases, ...params.norms.flatMap((n) => (n ? [n.gamma] : []))];
  const stats: BatchStats[] = [];
  const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, reference ? referenceForward(plan, params, x, true) : forward(plan, params, x, { dropoutSeed: null, batchStats: stats })) as tf.Scalar, vars);
  const evalLogits = reference ? referenceForward(plan, params, x, false) : forward(plan, params, x, null);
  const out = [await value.data(), await evalLogits.data(), ...(await Promise.all(vars.map((v) => grads[v.name]!.data())))] as Float32Array[];
  tf.dispose([...stats.flatMap((s) => [s.mean, s.variance]), value, evalLogits, x, y, ...Object.values(grads)]);
  disposeParams(params);
  return out;
}

export function maxRelDiff(a: Float32Array, b: Float32Array): number {
  let scale = 1e-3;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d / scale;
}

