import type { NetworkSpec } from './spec';
import type { LayerInfo } from './results';

/**
 * The forward pass as a list of steps; weighted steps point at their prunable layer. A conv is followed by
 * batch norm when its layer has `batchNorm` (else by its bias), then by ReLU when `relu`.
 */
export type Step =
  | { op: 'conv'; layer: number; inChannels: number; filters: number; kernel: 1 | 3; stride: 1 | 2; relu: boolean }
  | { op: 'pool' }
  | { op: 'flatten' }
  /** Global average pooling: [b, h, w, c] -> [b, c]. */
  | { op: 'average' }
  /** Remembers the activation entering a residual block. */
  | { op: 'fork' }
  /** Adds the remembered block input (through the 1x1 projection conv step `projection` when set), then ReLU. */
  | { op: 'join'; projection: Extract<Step, { op: 'conv' }> | null }
  | { op: 'dense'; layer: number; units: number; relu: boolean; dropout: number };

export interface NetworkPlan {
  inputShape: [number, number, number];
  steps: Step[];
  layers: LayerInfo[];
  /** Flattened size entering the first dense layer. */
  flatSize: number;
}

export class NetworkError extends Error {
  override name = 'NetworkError';
}

/**
 * Conv stages are 3x3 'same' convolutions with ReLU, pools are 2x2 max-pools with stride 2;
 * dense layers use ReLU; the output layer is linear (logits). Names follow the paper: conv1.., fc1.., output;
 * a residual network's block convs are s{stage}b{block}.conv1/.conv2 and .shortcut (open_lth's order).
 */
export function planNetwork(net: NetworkSpec, inputShape: [number, number, number], numClasses: number): NetworkPlan {
  let [h, w, c] = inputShape;
  const steps: Step[] = [];
  const layers: LayerInfo[] = [];
  const bn = net.batchNorm === true;
  let convN = 0;
  const conv = (name: string, filters: number, kernel: 1 | 3, stride: 1 | 2, relu: boolean): Extract<Step, { op: 'conv' }> => {
    if (stride === 2 && (h % 2 !== 0 || w % 2 !== 0)) throw new NetworkError(`network: a stride-2 stage needs an even feature map, got ${h}x${w} at ${name}`);
    const step = { op: 'conv' as const, layer: layers.length, inChannels: c, filters, kernel, stride, relu };
    const [oh, ow] = [h / stride, w / stride];
    layers.push({
      name,
      kind: 'conv',
      shape: [kernel, kernel, c, filters],
      weights: kernel * kernel * c * filters,
      macsPerExample: oh * ow * kernel * kernel * c * filters,
      ...(bn ? { batchNorm: true as const } : {}),
    });
    return step;
  };
  if (net.residual) {
    const { widths, blocks } = net.residual;
    steps.push(conv('conv1', widths[0]!, 3, 1, true));
    c = widths[0]!;
    widths.forEach((width, s) => {
      for (let b = 0; b < blocks; b++) {
        const name = `s${s + 1}b${b + 1}`;
        const stride = s > 0 && b === 0 ? 2 : 1;
        const inC = c;
        steps.push({ op: 'fork' });
        steps.push(conv(`${name}.conv1`, width, 3, stride, true));
        const [inH, inW] = [h, w];
        h /= stride;
        w /= stride;
        c = width;
        steps.push(conv(`${name}.conv2`, width, 3, 1, false));
        let projection: Extract<Step, { op: 'conv' }> | null = null;
        if (stride !== 1 || inC !== width) {
          // The projection reads the block's input: plan it at the input's size and channels.
          [h, w, c] = [inH, inW, inC];
          projection = conv(`${name}.shortcut`, width, 1, stride as 1 | 2, false);
          [h, w, c] = [inH / stride, inW / stride, width];
        }
        steps.push({ op: 'join', projection });
      }
    });
  }
  for (const item of net.conv) {
    if (item === 'pool') {
      if (h < 2 || w < 2) throw new NetworkError(`network.conv: a pool layer would shrink the ${h}x${w} feature map below 1x1`);
      steps.push({ op: 'pool' });
      h = Math.floor(h / 2);
      w = Math.floor(w / 2);
    } else {
      convN += 1;
      steps.push(conv(`conv${convN}`, item, 3, 1, true));
      c = item;
    }
  }
  const hasConv = net.conv.length > 0 || net.residual !== undefined;
  const average = hasConv && (net.pooling === 'average' || net.residual !== undefined);
  const flatSize = average ? c : h * w * c;
  if (hasConv) steps.push({ op: average ? 'average' : 'flatten' });
  let width = flatSize;
  const units = [...net.dense, numClasses];
  units.forEach((u, i) => {
    const isOutput = i === units.length - 1;
    steps.push({ op: 'dense', layer: layers.length, units: u, relu: !isOutput, dropout: isOutput ? 0 : net.dropout });
    layers.push({
      name: isOutput ? 'output' : `fc${i + 1}`,
      kind: isOutput ? 'output' : 'dense',
      shape: [width, u],
      weights: width * u,
      macsPerExample: width * u,
    });
    width = u;
  });
  return { inputShape, steps, layers, flatSize };
}

/** Whether the forward pass is only dense layers (what the packed trainer takes). */
export const isDenseOnly = (plan: NetworkPlan): boolean => plan.steps.every((s) => s.op === 'dense');

export function biasSize(layer: LayerInfo): number {
  return layer.shape[layer.shape.length - 1]!;
}

export function totalWeights(layers: readonly LayerInfo[]): number {
  return layers.reduce((a, l) => a + l.weights, 0);
}

/** Floats of activation per example: the input and the output of every conv and dense layer. */
export function activationFloats(plan: Pick<NetworkPlan, 'inputShape' | 'layers'>): number {
  const [h, w, c] = plan.inputShape;
  // A layer's outputs per example: its multiply-adds over the multiply-adds of one output (kernel entries per filter).
  return plan.layers.reduce((a, l) => a + (l.macsPerExample * l.shape[l.shape.length - 1]!) / l.weights, h * w * c);
}

const PRESET_NAMES: Record<string, string> = { lenet300: 'LeNet-300-100', conv2: 'Conv-2', conv4: 'Conv-4', conv6: 'Conv-6', resnet20: 'ResNet-20', vgg19: 'VGG-19' };

/** Batch-norm state kept per layer beside its kernel and bias (β): γ, running mean, running variance. */
export const normSize = (layer: LayerInfo): number => (layer.batchNorm ? 3 * layer.shape[layer.shape.length - 1]! : 0);

/** How a network is named in lists, default experiment names and figures: the paper's name for a preset. */
export function networkLabel(
  n: Pick<NetworkSpec, 'conv' | 'dense'> & { preset?: string | undefined; residual?: NetworkSpec['residual']; batchNorm?: boolean | undefined; bnInit?: NetworkSpec['bnInit'] },
): string {
  // γ's init changes the results: legends and names keep two otherwise equal networks apart.
  const gamma = n.bnInit === 'uniform' ? ' · γ U[0,1)' : '';
  if (n.preset && PRESET_NAMES[n.preset]) return PRESET_NAMES[n.preset]! + gamma;
  if (n.residual) return `ResNet-${6 * n.residual.blocks + 2} ${n.residual.widths.join('-')}${n.batchNorm ? ` · BN${gamma}` : ''}${n.dense.length ? ` · fc ${n.dense.join('-')}` : ''}`;
  const conv = n.conv.length ? `conv ${n.conv.map((c) => (c === 'pool' ? 'P' : c)).join('-')} · ` : '';
  return `${conv}fc ${n.dense.join('-') || '—'}${gamma}`;
}
