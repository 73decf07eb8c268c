import type { ExperimentSpecInput, NetworkSpec } from '../../../shared/spec';
import { planNetwork } from '../../../shared/network';

type NetworkSpecInput = ExperimentSpecInput['network'];

/** The wizard's deep-network fields (residual stages, batch norm, pooling, init); conv and dense lists stay text in WizardForm. */
export interface NetworkForm {
  architecture: 'plain' | 'residual';
  /** Residual stage widths as typed, e.g. "16, 32, 64". */
  widthsText: string;
  blocks: number;
  batchNorm: boolean;
  /** Batch norm's initial γ; reaches the spec only as 'uniform'. */
  bnInit: 'ones' | 'uniform';
  pooling: 'flatten' | 'average';
  init: 'glorot' | 'kaiming';
}

export const ARCHITECTURE_INFO = {
  plain: 'Conv layers then dense layers, as the paper\'s LeNet and Conv-2/4/6 (and VGG-19 with batch norm).',
  residual: 'A CIFAR ResNet (He et al. 2016): a 3×3 stem, stages of basic blocks with shortcuts (stride 2 and a 1×1 projection where a stage starts), global average pooling.',
} as const;

export const POOLING_INFO = {
  flatten: 'Flatten the last feature map into the dense layers (the paper\'s Conv-2/4/6).',
  average: 'Global average pooling: one value per channel (VGG-19 and ResNets in open_lth).',
} as const;

export const INIT_INFO = {
  glorot: 'Gaussian Glorot, the paper\'s initialisation.',
  kaiming: 'Kaiming (He) normal, fan-in: open_lth\'s default for its ResNets and VGGs.',
} as const;

export const BN_INIT_INFO = {
  ones: 'γ = 1, as PyTorch constructs batch norm: every channel starts at the scale of its normalised input.',
  uniform: 'γ uniform in [0, 1), drawn from the trial\'s seed: open_lth\'s ResNets, whose tickets the paper reports.',
} as const;

export const BATCH_NORM_SENTENCE = 'After every conv: batch statistics in training, running averages in evaluation; its parameters are never pruned (ResNet-20, VGG-19).';

export function networkFromSpec(n: Partial<NetworkSpecInput> | undefined): NetworkForm {
  return {
    architecture: n?.residual ? 'residual' : 'plain',
    widthsText: (n?.residual?.widths ?? [16, 32, 64]).join(', '),
    blocks: n?.residual?.blocks ?? 3,
    batchNorm: n?.batchNorm === true,
    bnInit: n?.bnInit ?? 'ones',
    pooling: n?.pooling ?? 'flatten',
    init: n?.init ?? 'glorot',
  };
}

/** Only the options that are on: an absent field keeps the hash of a spec that never had it. */
type DeepFields = Pick<NetworkSpecInput, 'residual' | 'batchNorm' | 'bnInit' | 'pooling' | 'init'>;

/**
 * The spec's deep-network fields. A residual network has its own conv stages (its conv list is sent empty) and
 * always averages; batch norm and pooling only reach the spec when there are conv layers for them to follow.
 */
export function networkSpec(f: NetworkForm, hasPlainConv: boolean): { fields: DeepFields; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const fields: DeepFields = {};
  const residual = f.architecture === 'residual';
  if (residual) {
    const widths: number[] = [];
    for (const p of f.widthsText.split(/[\s,]+/).filter(Boolean)) {
      if (!/^\d+$/.test(p)) {
        errors['network.residual.widths'] = `"${p}" is not a width (filters per stage, e.g. 16, 32, 64)`;
        break;
      }
      widths.push(Number(p));
    }
    fields.residual = { widths, blocks: f.blocks };
  }
  const convs = residual || hasPlainConv;
  if (convs && f.batchNorm) fields.batchNorm = true;
  if (fields.batchNorm && f.bnInit === 'uniform') fields.bnInit = 'uniform';
  if (!residual && hasPlainConv && f.pooling === 'average') fields.pooling = 'average';
  if (f.init === 'kaiming') fields.init = 'kaiming';
  return { fields, errors };
}

/** Whether two networks are the same architecture, whatever fields were left absent (preset names follow this). */
export function sameArchitecture(a: Partial<NetworkSpecInput>, b: Partial<NetworkSpecInput>): boolean {
  const norm = (n: Partial<NetworkSpecInput>) =>
    JSON.stringify([n.conv ?? [], n.dense ?? [], n.residual ? [n.residual.widths, n.residual.blocks] : null, n.batchNorm === true, n.bnInit ?? 'ones', n.pooling ?? 'flatten', n.init ?? 'glorot']);
  return norm(a) === norm(b);
}

/** A network the input cannot hold (too many pools or stride-2 stages), as a field path and message. */
export function planProblem(net: Pick<NetworkSpec, 'conv' | 'dense'> & Partial<NetworkSpec>, input: [number, number, number], numClasses: number): { path: string; message: string } | null {
  try {
    planNetwork({ dropout: 0, ...net }, input, numClasses);
    return null;
  } catch (e) {
    const m = /^(network[\w.]*): (.*)$/s.exec((e as Error).message);
    const message = m ? m[2]! : (e as Error).message;
    if (net.residual) {
      const most = maxStages(input[0], input[1]);
      if (net.residual.widths.length > most) {
        return { path: 'network.residual.widths', message: `the ${input[0]}×${input[1]} input allows at most ${most} stages (each after the first halves the feature map), not ${net.residual.widths.length}` };
      }
      return { path: 'network.residual.widths', message };
    }
    return { path: m && m[1] !== 'network' ? m[1]! : 'network.conv', message };
  }
}

/** Stride-2 stages need an even feature map: one stage, plus one per halving the input allows. */
function maxStages(h: number, w: number): number {
  let n = 1;
  while (h % 2 === 0 && w % 2 === 0 && h > 1 && w > 1) {
    h /= 2;
    w /= 2;
    n++;
  }
  return n;
}
