import { trainedVariants } from '../../../shared/variants';
import type { BackendName, LayerKind } from '../../../shared/results';
import { planNetwork } from '../../../shared/network';
import type { ExperimentSpec, NetworkSpec, PruningSpec } from '../../../shared/spec';
import { kindViews } from '../kinds/registry';

/** The wizard's review step: what the network will hold and roughly how long training takes. */
export interface PlannedLayer {
  name: string;
  kind: LayerKind;
  shape: number[];
  weights: number;
  macs: number;
}

/** The engine's own plan (src/shared/network.ts), so the review shows exactly the layers that will train. */
export function plannedLayers(
  network: Pick<NetworkSpec, 'conv' | 'dense'> & Partial<Pick<NetworkSpec, 'residual' | 'batchNorm' | 'pooling' | 'init'>>,
  input: [number, number, number],
  numClasses: number,
): PlannedLayer[] {
  return planNetwork({ ...network, dropout: 0 }, input, numClasses).layers.map((l) => ({
    name: l.name,
    kind: l.kind,
    shape: l.shape,
    weights: l.weights,
    macs: l.macsPerExample,
  }));
}

/** Fraction of weights remaining after each round (round 0 = dense), as the pruning spec would give. */
export function remainingPerRound(layers: PlannedLayer[], pruning: Pick<PruningSpec, 'strategy' | 'rates' | 'globalRate' | 'rounds'>): number[] {
  const total = layers.reduce((a, l) => a + l.weights, 0);
  const out: number[] = [];
  for (let r = 0; r < pruning.rounds; r++) {
    if (pruning.strategy === 'global') {
      // Global pruning spreads the cut over layers whose kind rate is > 0; only their weights shrink.
      const prunable = layers.filter((l) => pruning.rates[l.kind] > 0).reduce((a, l) => a + l.weights, 0);
      out.push((total - prunable + prunable * (1 - pruning.globalRate) ** r) / total);
    } else {
      out.push(layers.reduce((a, l) => a + l.weights * (1 - pruning.rates[l.kind]) ** r, 0) / total);
    }
  }
  return out;
}

/**
 * Sustained training throughput per backend, from the measurements in shared/ENVIRONMENT.md
 * (wasm 4.5 GFLOP/s on LeNet at batch 60); native backends are rough multiples of it.
 */
// webgpu: a rough middle between a software adapter and a real GPU (the backend's own benchmark says more).
const FLOPS: Record<BackendName, number> = { wasm: 4.5e9, cpu: 0.55e9, 'tensorflow-cpu': 12e9, 'tensorflow-gpu': 150e9, webgpu: 20e9 };

export interface RunEstimate {
  runs: number;
  iterations: number;
  seconds: number;
  /** One training run on average: what a deep network costs before trials and rounds multiply it. */
  secondsPerRun: number;
  /** Untrained evaluations (supermasks) beside the training runs. */
  evaluations: number;
  /** How the runs are counted, in the experiment kind's words. */
  breakdown: string;
}

/** The time of what an experiment of this kind trains (src/renderer/src/kinds counts its runs). */
export function estimateRun(spec: ExperimentSpec, layers: PlannedLayer[], backend: BackendName): RunEstimate {
  const work = kindViews(spec).work(spec);
  const macs = layers.reduce((a, l) => a + l.macs, 0);
  // Forward + two backward products: ~6 FLOPs per multiply-accumulate per example.
  const flopsPerStep = 6 * macs * spec.training.batchSize;
  const evalFraction = 0.1; // evaluation passes over validation + test sets
  // An untrained evaluation: one forward pass (2 FLOPs per MAC) over the validation set and the test set (~10,000).
  const evalFlops = work.evaluations * 2 * macs * (spec.training.validationSize + 10_000);
  const seconds = (work.iterations * flopsPerStep * (1 + evalFraction) + evalFlops) / FLOPS[backend];
  return { runs: work.runs, iterations: work.iterations, seconds, secondsPerRun: work.runs ? seconds / work.runs : 0, evaluations: work.evaluations, breakdown: work.breakdown };
}
