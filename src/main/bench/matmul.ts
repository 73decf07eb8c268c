import * as tf from '@tensorflow/tfjs-core';

export interface MatMulCeiling {
  shape: string;
  gflops: number;
  msPerCall: number;
}

/**
 * Plain matMul throughput of the active backend, no transposed operand (the fast path), best of `rounds`
 * timed chunks. `a` is [m, k], `b` is [k, n].
 */
export async function matMulCeiling(label: string, m: number, k: number, n: number, calls: number, rounds: number): Promise<MatMulCeiling> {
  const a = tf.randomNormal([m, k]) as tf.Tensor2D;
  const b = tf.randomNormal([k, n]) as tf.Tensor2D;
  try {
    // Warm-up (and, on WebGPU, shader compilation), waited for.
    const w = tf.matMul(a, b);
    await w.data();
    w.dispose();
    const times: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      for (let i = 0; i < calls; i++) {
        const c = tf.matMul(a, b);
        // An asynchronous readback of the last result waits for all calls (WebGPU has no synchronous one in Node).
        if (i === calls - 1) await c.data();
        c.dispose();
      }
      times.push((performance.now() - t0) / calls);
    }
    const ms = Math.min(...times);
    return { shape: label, gflops: Number(((2 * m * k * n) / (ms * 1e6)).toFixed(2)), msPerCall: Number(ms.toFixed(3)) };
  } finally {
    tf.dispose([a, b]);
  }
}
