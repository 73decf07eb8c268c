import { mulberry32 } from './data/rng';

/**
 * Seeded randomness for everything the engine draws in JavaScript (initial weights, random masks).
 * Drawing in JS instead of with tf.random* makes the same seed give the same numbers on every backend.
 */

/** FNV-1a over the parts' text, so (trial seed, 'reinit', round) names an independent stream. */
export function deriveSeed(...parts: (number | string)[]): number {
  let h = 0x811c9dc5;
  for (const ch of parts.join('\u0000')) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Trial t's seed. Engine version 1 used seed + t, which made (seed s, trial 1) the same run as
 * (seed s+1, trial 0); version 2 hashes (seed, t), so trials of different base seeds never coincide.
 */
export function trialSeed(spec: { seed: number; engineVersion?: number }, trial: number): number {
  return (spec.engineVersion ?? 1) >= 2 ? deriveSeed(spec.seed, 'trial', trial) : spec.seed + trial;
}

function rng(seed: number): () => number {
  const r = mulberry32(seed);
  return () => r.next();
}

/** n draws from N(0, std^2) by Box-Muller. */
export function gaussian(n: number, std: number, seed: number): Float32Array {
  const next = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = 1 - next(); // (0, 1]: log stays finite
    const v = next();
    const r = std * Math.sqrt(-2 * Math.log(u));
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/** k distinct indices of [0, n), chosen uniformly (partial Fisher-Yates). */
export function sampleWithoutReplacement(n: number, k: number, seed: number): Uint32Array {
  const next = rng(seed);
  const pool = new Uint32Array(n);
  for (let i = 0; i < n; i++) pool[i] = i;
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(next() * (n - i));
    const t = pool[i]!;
    pool[i] = pool[j]!;
    pool[j] = t;
  }
  return pool.subarray(0, k);
}
