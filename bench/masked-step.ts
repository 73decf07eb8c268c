/**
 * Fastest correct masked MLP training step found in bench/FINDINGS.md, written with
 * @tensorflow/tfjs-core ops only (no backend-specific code): the same op graph runs on
 * wasm, cpu, webgl and tfjs-node(-gpu).
 *
 * Why it is fast on wasm: the wasm backend's BatchMatMul only uses XNNPACK when neither
 * operand is transposed (transposeA/transposeB fall back to a naive loop at ~1.9 GFLOP/s,
 * 13x slower). Autodiff of tf.matMul emits matMul(dy, W, false, true) and
 * matMul(x, dy, true, false), i.e. exactly the slow path. Here every matMul is
 * non-transposed and the (small) operand is transposed explicitly with tf.transpose.
 * The input layer's dx is never computed.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface MaskedMlp {
  /** kernels [fanIn, fanOut] */
  W: tf.Variable[];
  /** biases [fanOut] */
  b: tf.Variable[];
  /** 0/1 masks, same shape as W (null = dense layer) */
  masks: (tf.Tensor | null)[];
}

export interface GradOptions {
  /** x^T [features, batch] if the caller already has it (saves one transpose kernel) */
  xT?: tf.Tensor2D | null;
  /** use tf.fused.matMul(bias, relu) in the forward pass */
  fusedForward?: boolean;
}

/**
 * Forward + backward of a relu MLP with softmax cross-entropy (mean over the batch).
 * Returns grads ordered [dW0, db0, dW1, db1, ...] (unmasked) and the logits.
 * Call inside tf.tidy.
 */
export function maskedLeNetGrads(
  m: MaskedMlp, x: tf.Tensor2D, yOneHot: tf.Tensor2D, opts: GradOptions = {},
): { grads: tf.Tensor[]; logits: tf.Tensor2D } {
  const L = m.W.length;
  const acts: tf.Tensor2D[] = [x];
  let h = x;
  for (let l = 0; l < L; l++) {
    const last = l === L - 1;
    if (opts.fusedForward) {
      h = tf.fused.matMul({ a: h, b: m.W[l] as tf.Tensor2D, bias: m.b[l], activation: last ? 'linear' : 'relu' }) as tf.Tensor2D;
    } else {
      const z = tf.add(tf.matMul(h, m.W[l] as tf.Tensor2D), m.b[l]) as tf.Tensor2D;
      h = last ? z : tf.relu(z);
    }
    acts.push(h);
  }
  const logits = acts[L];
  const batch = x.shape[0];
  // d(mean CE)/dlogits = (softmax(z) - y) / batch
  let dz = tf.mul(tf.sub(tf.softmax(logits), yOneHot), 1 / batch) as tf.Tensor2D;
  const grads: tf.Tensor[] = new Array(2 * L);
  for (let l = L - 1; l >= 0; l--) {
    const inT = l === 0 && opts.xT ? opts.xT : tf.transpose(acts[l]);
    grads[2 * l] = tf.matMul(inT, dz);                 // dW = in^T . dz   (no transposeA)
    grads[2 * l + 1] = tf.sum(dz, 0);                  // db
    if (l > 0) {
      const dh = tf.matMul(dz, tf.transpose(m.W[l] as tf.Tensor2D)); // dx = dz . W^T (no transposeB)
      dz = tf.mul(dh, tf.step(acts[l])) as tf.Tensor2D;               // relu'
    }
  }
  return { grads, logits };
}

export interface AdamState {
  m: tf.Variable[];
  v: tf.Variable[];
  t: number;
  dispose(): void;
  consts: { b1: tf.Scalar; omb1: tf.Scalar; b2: tf.Scalar; omb2: tf.Scalar; b1v: number; b2v: number };
}

export interface AdamHp { lr: number; beta1: number; beta2: number; eps: number }

/** params ordered [W0, b0, W1, b1, ...] */
export function paramsOf(m: MaskedMlp): tf.Variable[] {
  const p: tf.Variable[] = [];
  for (let l = 0; l < m.W.length; l++) p.push(m.W[l], m.b[l]);
  return p;
}

export function createAdamState(m: MaskedMlp | tf.Variable[], beta1 = 0.9, beta2 = 0.999): AdamState {
  const params = Array.isArray(m) ? m : paramsOf(m);
  const st = {
    m: params.map((p) => tf.variable(tf.zerosLike(p), false)),
    v: params.map((p) => tf.variable(tf.zerosLike(p), false)),
    t: 0,
    consts: {
      b1: tf.scalar(beta1), omb1: tf.scalar(1 - beta1), b2: tf.scalar(beta2), omb2: tf.scalar(1 - beta2),
      b1v: beta1, b2v: beta2,
    },
    dispose() {
      st.m.forEach((t) => t.dispose()); st.v.forEach((t) => t.dispose());
      Object.values(st.consts).forEach((c) => typeof c === 'object' && c.dispose());
    },
  };
  return st;
}

/**
 * Masked Adam, same math as tf.train.adam (bias-corrected, eps added to sqrt(v_hat)):
 *   g = dW * mask; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2
 *   w -= lr * m_hat / (sqrt(v_hat) + eps)
 * with the bias correction folded into two per-step scalars:
 *   lr_t = lr sqrt(1-b2^t)/(1-b1^t),  eps_t = eps sqrt(1-b2^t),  w -= lr_t m / (sqrt(v) + eps_t).
 * Pruned weights start at 0 and get g = 0, so m = v = 0 and the update is 0/eps_t = 0: they stay exactly 0.
 * 13 elementwise kernels per masked kernel, 12 per bias.
 */
export function maskedAdamStep(m: MaskedMlp, st: AdamState, grads: tf.Tensor[], hp: AdamHp): void {
  const masks: (tf.Tensor | null)[] = [];
  for (let l = 0; l < m.W.length; l++) masks.push(m.masks[l], null);
  adamUpdate(paramsOf(m), masks, st, grads, hp);
}

/** Generic masked Adam over parallel lists (params[i], masks[i] or null, grads[i]); state from createAdamState. */
export function adamUpdate(params: tf.Variable[], masks: (tf.Tensor | null)[], st: AdamState, grads: tf.Tensor[], hp: AdamHp): void {
  st.t++;
  const c1 = 1 - Math.pow(st.consts.b1v, st.t);
  const c2 = 1 - Math.pow(st.consts.b2v, st.t);
  const { b1, omb1, b2, omb2 } = st.consts;
  tf.tidy(() => {
    const lrT = tf.scalar(hp.lr * Math.sqrt(c2) / c1);
    const epsT = tf.scalar(hp.eps * Math.sqrt(c2));
    for (let i = 0; i < params.length; i++) {
      const mask = masks[i];
      const g = mask ? tf.mul(grads[i], mask) : grads[i];
      const mN = tf.add(tf.mul(st.m[i], b1), tf.mul(g, omb1));
      const vN = tf.add(tf.mul(st.v[i], b2), tf.mul(tf.square(g), omb2));
      const pN = tf.sub(params[i], tf.mul(tf.div(mN, tf.add(tf.sqrt(vN), epsT)), lrT));
      st.m[i].assign(mN);
      st.v[i].assign(vN);
      params[i].assign(pN);
    }
  });
}

// ============================================================================================
// Variant 2 (faster on wasm): feature-major layout.
//  Kernels are stored transposed, W^T [fanOut, fanIn], activations as [features, batch]. Every
//  matMul then has an activation / batch-sized matrix as its RIGHT operand, which is what XNNPACK
//  re-packs on each call (tfjs caches the packed right operand per tensor id, and the weights are
//  new tensors after every update); the 784x300 kernel is never re-packed (~1 ms/step on wasm).
//  (A single flat parameter vector was tried too: tf.slice on wasm copies the whole source tensor
//  to JS per call, so slicing 6 views out of it costs more than the kernel launches it saves.)
// ============================================================================================

export interface FmMlp {
  sizes: number[];             // e.g. [784, 300, 100, 10]
  WT: tf.Variable[];           // W^T [out, in]
  b: tf.Variable[];            // [out, 1]
  masks: (tf.Tensor | null)[]; // [out, in] 0/1, null = dense
}

/** Build from kernels W[l] as [in, out] row-major arrays (the usual Dense layout). */
export function createFmMlp(sizes: number[], W: Float32Array[], b: Float32Array[], masks: (Float32Array | null)[]): FmMlp {
  const L = sizes.length - 1;
  const tr = (a: Float32Array, fi: number, fo: number) => tf.tidy(() => tf.transpose(tf.tensor2d(a, [fi, fo])));
  return {
    sizes,
    WT: Array.from({ length: L }, (_, l) => tf.variable(tr(W[l], sizes[l], sizes[l + 1]))),
    b: Array.from({ length: L }, (_, l) => tf.variable(tf.tensor2d(b[l], [sizes[l + 1], 1]))),
    masks: Array.from({ length: L }, (_, l) => (masks[l] ? tr(masks[l]!, sizes[l], sizes[l + 1]) : null)),
  };
}

/** Kernels back as [in, out] row-major arrays, biases as [out]. */
export function readFmMlp(m: FmMlp): { W: Float32Array[]; b: Float32Array[] } {
  return {
    W: m.WT.map((w) => tf.tidy(() => tf.transpose(w)).dataSync() as Float32Array),
    b: m.b.map((b) => b.dataSync() as Float32Array),
  };
}

/**
 * Forward + backward, feature-major, softmax cross-entropy (mean over batch).
 * x: [batch, in]; xT: [in, batch] or null (then tf.transpose(x) is used).
 * Returns grads ordered [dW0^T, db0, dW1^T, db1, ...] (unmasked) and logits [batch, classes].
 * Call inside tf.tidy.
 */
export function fmMlpGrads(m: FmMlp, x: tf.Tensor2D, xT: tf.Tensor2D | null, yOneHot: tf.Tensor2D): { grads: tf.Tensor[]; logits: tf.Tensor2D } {
  const L = m.WT.length;
  const actsT: tf.Tensor2D[] = [xT ?? tf.transpose(x)];               // [features, batch]
  for (let l = 0; l < L; l++) {
    const z = tf.add(tf.matMul(m.WT[l] as tf.Tensor2D, actsT[l]), m.b[l]) as tf.Tensor2D; // W^T h^T + b
    actsT.push(l < L - 1 ? tf.relu(z) : z);
  }
  const logits = tf.transpose(actsT[L]);                               // [batch, classes]
  const batch = x.shape[0];
  let dzT = tf.transpose(tf.mul(tf.sub(tf.softmax(logits), yOneHot), 1 / batch)) as tf.Tensor2D; // [classes, batch]
  const grads: tf.Tensor[] = new Array(2 * L);
  for (let l = L - 1; l >= 0; l--) {
    const inp = l === 0 ? x : tf.transpose(actsT[l]);                 // [batch, in]
    grads[2 * l] = tf.matMul(dzT, inp);                                 // dW^T = dz^T . in    [out, in]
    grads[2 * l + 1] = tf.sum(dzT, 1, true);                            // db                  [out, 1]
    if (l > 0) {
      const dhT = tf.matMul(tf.transpose(m.WT[l] as tf.Tensor2D), dzT); // dh^T = W . dz^T     [in, batch]
      dzT = tf.mul(dhT, tf.step(actsT[l])) as tf.Tensor2D;              // relu'
    }
  }
  return { grads, logits };
}

/** params/masks ordered [W0^T, b0, W1^T, b1, ...] for adamUpdate. */
export function fmParams(m: FmMlp): { params: tf.Variable[]; masks: (tf.Tensor | null)[] } {
  const params: tf.Variable[] = [], masks: (tf.Tensor | null)[] = [];
  for (let l = 0; l < m.WT.length; l++) { params.push(m.WT[l], m.b[l]); masks.push(m.masks[l], null); }
  return { params, masks };
}
