import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/main/engine/backend';
import { augmentBatch } from '../../src/main/engine/data/augment';
import { inlineExecutor } from '../../src/main/engine/executor';
import { runImp } from '../../src/main/engine/imp';
import { planNetwork } from '../../src/main/engine/network';
import { trialSeed } from '../../src/main/engine/random';
import { evaluateWeights, trainRun } from '../../src/main/engine/trainer';
import { emptyResumeState, type Checkpoint } from '../../src/main/engine/types';
import { denseMask, initialWeights } from '../../src/main/engine/weights';
import { packWeights, unpackWeights } from '../../src/main/store/blobs';
import { checkLayers } from '../../src/main/store/layers';
import { memorySink } from './memory-sink';
import { colourDataset, tinySpec } from './synthetic';

const data = colourDataset();
const deep = (over: Record<string, unknown> = {}) =>
  tinySpec({
    dataset: 'colours',
    network: { conv: [], dense: [], dropout: 0, residual: { widths: [4, 8], blocks: 1 }, batchNorm: true },
    training: {
      optimizer: 'sgd',
      learningRate: 0.1,
      momentum: 0.9,
      batchSize: 16,
      iterations: 60,
      evalInterval: 20,
      validationSize: 60,
      schedule: { warmupIterations: 20, milestones: [40], gamma: 0.1 },
      weightDecay: 1e-4,
      augment: true,
    },
    pruning: { strategy: 'global', globalRate: 0.2, rates: { conv: 0.2, dense: 0.2, output: 0 }, rounds: 2, rewindIteration: 10 },
    controls: ['reinit'],
    ...over,
  });

describe('augmentation', () => {
  const shape = [4, 5, 2] as const;
  const lut = new Float32Array(512).map((_, i) => (i % 256) / 10 - (i >= 256 ? 100 : 50));
  const image = () => Float32Array.from({ length: 4 * 5 * 2 * 3 }, (_, i) => i + 1);

  it('is a pure function of (seed, iteration): the same batch twice, another iteration differs', () => {
    const a = image();
    const b = image();
    const c = image();
    augmentBatch(a, 3, shape, 9, 4, lut);
    augmentBatch(b, 3, shape, 9, 4, lut);
    augmentBatch(c, 3, shape, 9, 5, lut);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });

  it('every output pixel is the flipped, shifted source pixel or the normalised black of its channel', () => {
    let moved = 0;
    for (let it = 0; it < 40; it++) {
      const x = image();
      augmentBatch(x, 3, shape, 1, it, lut);
      const [h, w, c] = shape;
      for (let k = 0; k < 3; k++) {
        // Recover the shift and flip from the pixels that came from the image (values are unique), then check all of them.
        const values = new Set<number>();
        for (let j = 0; j < h * w * c; j++) values.add(x[k * h * w * c + j]!);
        let consistent = false;
        for (const flip of [false, true])
          for (let dy = -4; dy <= 4 && !consistent; dy++)
            for (let dx = -4; dx <= 4 && !consistent; dx++) {
              let ok = true;
              for (let y = 0; y < h && ok; y++)
                for (let xx = 0; xx < w && ok; xx++)
                  for (let ch = 0; ch < c && ok; ch++) {
                    const sy = y + dy;
                    const sx = (flip ? w - 1 - xx : xx) + dx;
                    const expected = sy < 0 || sy >= h || sx < 0 || sx >= w ? lut[ch * 256]! : k * h * w * c + (sy * w + sx) * c + ch + 1;
                    ok = x[k * h * w * c + (y * w + xx) * c + ch] === expected;
                  }
              if (ok) {
                consistent = true;
                if (dy !== 0 || dx !== 0 || flip) moved++;
              }
            }
        expect(consistent).toBe(true);
      }
    }
    // 81 shifts x 2 flips: almost every draw moves the image.
    expect(moved).toBeGreaterThan(100);
  });
});

describe('a residual network with batch norm trains, rewinds and resumes exactly', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });
  afterAll(async () => {
    await initBackend('wasm');
  });

  it('learns the colours; θk carries the running statistics; resuming a checkpoint gives the same weights bit for bit', async () => {
    const spec = deep();
    const plan = planNetwork(spec.network, data.shape, data.numClasses);
    const init = initialWeights(plan.layers, trialSeed(spec, 0));
    const job = { spec, trial: 0, variant: 'ticket' as const, round: 0, init, mask: denseMask(plan.layers), startIteration: 0, captureAt: 10 };
    const checkpoints: Checkpoint[] = [];
    const whole = await trainRun(job, data, { checkpointEveryIterations: 30, onCheckpoint: (c) => checkpoints.push(c) });
    expect(whole.result.finalTestAccuracy).toBeGreaterThan(0.6);
    // Training moved γ and the running statistics; θk is a snapshot of them at k, different from both ends.
    const norms0 = init.norms!.find((n) => n.length)!;
    const normsK = whole.captured!.norms!.find((n) => n.length)!;
    const normsT = whole.finalWeights.norms!.find((n) => n.length)!;
    expect(Array.from(normsK)).not.toEqual(Array.from(norms0));
    expect(Array.from(normsK)).not.toEqual(Array.from(normsT));
    expect(checkpoints).toHaveLength(1);
    expect(checkpoints[0]!.weights.norms).toBeDefined();
    const resumed = await trainRun(job, data, { restore: checkpoints[0]! });
    expect(resumed.finalWeights).toEqual(whole.finalWeights);
    expect(resumed.result.curve).toEqual(whole.result.curve);
  });

  it('IMP with late rewinding: pruned rounds start from θk with its batch-norm state; only conv kernels are pruned, globally', async () => {
    const spec = deep();
    const sink = memorySink();
    await runImp({ spec, data, executor: inlineExecutor(data), sink: sink.sink, resume: emptyResumeState() });
    const plan = planNetwork(spec.network, data.shape, data.numClasses);
    const rewind = sink.rewind.get(0)!;
    expect(rewind.norms).toHaveLength(plan.layers.length);
    const mask1 = sink.masks.get('0:1')!;
    const conv = plan.layers.map((l, i) => (l.kind === 'conv' ? i : -1)).filter((i) => i >= 0);
    const kept = conv.reduce((a, i) => a + mask1[i]!.reduce((s, v) => s + v, 0), 0);
    const total = conv.reduce((a, i) => a + plan.layers[i]!.weights, 0);
    expect(kept).toBe(Math.round(total * 0.8));
    expect(mask1.at(-1)!.every((v) => v === 1)).toBe(true);
    const ticket1 = sink.runs.find((r) => r.variant === 'ticket' && r.round === 1)!;
    expect(ticket1.iterations).toBe(50);
    expect(ticket1.curve[0]!.iteration).toBe(10);
    // The ticket's first evaluation is θk ⊙ m with θk's batch-norm state: the same numbers as evaluating those weights directly.
    const atK = await evaluateWeights(spec, 0, data, rewind, mask1, 'validation');
    expect(ticket1.curve[0]!.valLoss).toBeCloseTo(atK.loss, 6);
    const reinit1 = sink.runs.find((r) => r.variant === 'reinit' && r.round === 1)!;
    expect(reinit1.curve[0]!.iteration).toBe(10);
  });

  it('the weight blob keeps batch-norm state after kernels and biases; layers without it keep their old layout', () => {
    const spec = deep();
    const plan = planNetwork(spec.network, data.shape, data.numClasses);
    checkLayers(plan.layers, 'test');
    const w = initialWeights(plan.layers, 5);
    w.norms = w.norms!.map((n, i) => n.map((_, j) => i + j / 7));
    expect(unpackWeights(packWeights(w, plan.layers), plan.layers)).toEqual(w);
    const { norms: _dropped, ...bare } = w;
    expect(() => packWeights(bare, plan.layers)).toThrow(/no batch-norm state/);
    const flat = planNetwork(tinySpec().network, [8, 8, 1], 4);
    const plain = initialWeights(flat.layers, 5);
    expect(plain.norms).toBeUndefined();
    expect(unpackWeights(packWeights(plain, flat.layers), flat.layers)).toEqual(plain);
    expect(() => checkLayers([{ ...flat.layers[0]!, batchNorm: true }], 'x')).toThrow(/batchNorm must be true on a conv layer/);
  });
});
