import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { packMask, packWeights, unpackMask, unpackWeights } from '../../src/main/store/blobs';
import { canonicalJson, specHash } from '../../src/main/store/ids';
import type { LayerInfo } from '../../src/shared/results';
import { parseSpec } from '../../src/shared/spec';
import { mlpLayers, mlpSpec, randomWeights, sameWeights } from './helpers';

const layersArb = fc
  .array(fc.tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 })), { minLength: 1, maxLength: 5 })
  .map((dims): LayerInfo[] =>
    dims.map(([a, b], i) => ({ name: `l${i}`, kind: i === dims.length - 1 ? 'output' : 'dense', shape: [a, b], weights: a * b, macsPerExample: a * b })),
  );

describe('mask bit packing', () => {
  it('round-trips any mask over any layer sizes, one bit per weight', () => {
    fc.assert(
      fc.property(
        layersArb.chain((layers) =>
          fc.tuple(fc.constant(layers), fc.tuple(...layers.map((l) => fc.uint8Array({ minLength: l.weights, maxLength: l.weights, max: 1 })))),
        ),
        ([layers, mask]) => {
          const packed = packMask(mask, layers);
          const total = layers.reduce((a, l) => a + l.weights, 0);
          expect(packed.length).toBe(Math.ceil(total / 8));
          const back = unpackMask(packed, layers);
          expect(back.map((m) => Array.from(m))).toEqual(mask.map((m) => Array.from(m)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('rejects values other than 0/1, wrong lengths and set padding bits', () => {
    const layers: LayerInfo[] = [{ name: 'a', kind: 'output', shape: [3, 3], weights: 9, macsPerExample: 9 }];
    expect(() => packMask([new Uint8Array(9).fill(2)], layers)).toThrow(/only 0 and 1/);
    expect(() => packMask([new Uint8Array(8)], layers)).toThrow(/expected 9/);
    expect(() => unpackMask(Buffer.from([0xff, 0x02]), layers)).toThrow(/padding/);
    expect(() => unpackMask(Buffer.from([0xff]), layers)).toThrow(/expected 2/);
  });
});

describe('weights packing', () => {
  it('is bit-exact, -0 and denormals included', () => {
    const layers = mlpLayers();
    for (let seed = 1; seed < 20; seed++) {
      const w = randomWeights(layers, seed);
      const packed = packWeights(w, layers);
      expect(packed.length).toBe(4 * (30 + 20 + 12 + 5 + 4 + 3));
      expect(sameWeights(unpackWeights(packed, layers), w)).toBe(true);
    }
    // Misaligned input (SQLite hands out arbitrary Buffers) still reads correctly.
    const w = randomWeights(layers, 3);
    const packed = packWeights(w, layers);
    const shifted = Buffer.alloc(packed.length + 1);
    packed.copy(shifted, 1);
    expect(sameWeights(unpackWeights(shifted.subarray(1), layers), w)).toBe(true);
  });

  it('checks every length against the layers', () => {
    const layers = mlpLayers();
    const w = randomWeights(layers);
    w.biases[1] = new Float32Array(3);
    expect(() => packWeights(w, layers)).toThrow(/bias of layer fc2 has 3 values, expected 4/);
    expect(() => unpackWeights(Buffer.alloc(8), layers)).toThrow(/expected 296/);
  });
});

describe('spec hash', () => {
  it('is stable across key order and parse round trips, and changes with the spec', () => {
    const spec = mlpSpec();
    const reordered = Object.fromEntries(Object.entries(spec).reverse());
    expect(specHash(reordered)).toBe(specHash(spec));
    expect(specHash(parseSpec(JSON.parse(JSON.stringify(spec))))).toBe(specHash(spec));
    expect(specHash({ ...spec, seed: 1 })).not.toBe(specHash(spec));
    expect(specHash(spec)).toMatch(/^[0-9a-f]{64}$/);
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: undefined }], c: 2 } })).toBe('{"a":{"c":2,"d":[3,{"z":1}]},"b":1}');
  });

  it('has a known value for a fixed spec (guards against accidental format changes)', () => {
    expect(specHash({ b: [1, 2], a: 'x' })).toBe(specHash({ a: 'x', b: [1, 2] }));
    expect(canonicalJson({ b: [1, 2], a: 'x' })).toBe('{"a":"x","b":[1,2]}');
  });
});
