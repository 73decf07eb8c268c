import type { NetworkSpec } from './spec';
import type { LayerInfo } from './results';

/** The forward pass as a list of steps; weighted steps point at their prunable layer. */
export type Step =
  | { op: 'conv'; layer: number; inChannels: number; filters: number }
  | { op: 'pool' }
  | { op: 'flatten' }
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
 * dense layers use ReLU; the output layer is linear (logits). Names follow the paper: conv1.., fc1.., output.
 */
export function planNetwork(net: NetworkSpec, inputShape: [number, number, number], numClasses: number): NetworkPlan {
  let [h, w, c] = inputShape;
  const steps: Step[] = [];
  const layers: LayerInfo[] = [];
  let convN = 0;
  for (const item of net.conv) {
    if (item === 'pool') {
      if (h < 2 || w < 2) throw new NetworkError(`network.conv: a pool layer would shrink the ${h}x${w} feature map below 1x1`);
      steps.push({ op: 'pool' });
      h = Math.floor(h / 2);
      w = Math.floor(w / 2);
    } else {
      convN += 1;
      steps.push({ op: 'conv', layer: layers.length, inChannels: c, filters: item });
      layers.push({
        name: `conv${convN}`,
        kind: 'conv',
        shape: [3, 3, c, item],
        weights: 9 * c * item,
        macsPerExample: h * w * 9 * c * item,
      });
      c = item;
    }
  }
  const flatSize = h * w * c;
  if (net.conv.length > 0) steps.push({ op: 'flatten' });
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

export function biasSize(layer: LayerInfo): number {
  return layer.shape[layer.shape.length - 1]!;
}

export function totalWeights(layers: readonly LayerInfo[]): number {
  return layers.reduce((a, l) => a + l.weights, 0);
}

const PRESET_NAMES: Record<string, string> = { lenet300: 'LeNet-300-100', conv2: 'Conv-2', conv4: 'Conv-4', conv6: 'Conv-6' };

/** How a network is named in lists, default experiment names and figures: the paper's name for a preset. */
export function networkLabel(n: Pick<NetworkSpec, 'conv' | 'dense'> & { preset?: string | undefined }): string {
  if (n.preset && PRESET_NAMES[n.preset]) return PRESET_NAMES[n.preset]!;
  const conv = n.conv.length ? `conv ${n.conv.map((c) => (c === 'pool' ? 'P' : c)).join('-')} · ` : '';
  return `${conv}fc ${n.dense.join('-') || '—'}`;
}
