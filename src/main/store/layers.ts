import { z } from 'zod';
import { LayerInfoSchema, type LayerInfo } from '../../shared/layers';
import { StoreError } from './errors';
import { parseJson } from './json';

const LAYER_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

/** Bias length of a prunable layer: one per output unit or filter (the last kernel dimension). */
export const biasLength = (layer: LayerInfo): number => layer.shape[layer.shape.length - 1] ?? 0;

export const totalWeights = (layers: readonly LayerInfo[]): number => layers.reduce((a, l) => a + l.weights, 0);
export const totalBiases = (layers: readonly LayerInfo[]): number => layers.reduce((a, l) => a + biasLength(l), 0);
/** Batch-norm state kept beside the bias (β): γ, running mean and running variance per channel. */
export const normLength = (layer: LayerInfo): number => (layer.batchNorm ? 3 * biasLength(layer) : 0);
export const totalNorms = (layers: readonly LayerInfo[]): number => layers.reduce((a, l) => a + normLength(l), 0);

/**
 * Every blob is laid out by the layers json, so the layers must describe themselves consistently before any
 * blob is trusted (also guards imported ticket folders).
 */
export function checkLayers(layers: readonly LayerInfo[], where: string): void {
  if (layers.length === 0) throw new StoreError(`${where}: no prunable layers`);
  const names = new Set<string>();
  for (const [i, l] of layers.entries()) {
    const at = `${where}: layer ${i}`;
    if (typeof l.name !== 'string' || !LAYER_NAME.test(l.name)) throw new StoreError(`${at}: invalid name ${JSON.stringify(l.name)}`);
    if (names.has(l.name)) throw new StoreError(`${at}: duplicate name ${l.name}`);
    names.add(l.name);
    if (l.kind !== 'conv' && l.kind !== 'dense' && l.kind !== 'output') throw new StoreError(`${at}: invalid kind ${String(l.kind)}`);
    if (l.batchNorm !== undefined && !(l.batchNorm === true && l.kind === 'conv')) throw new StoreError(`${at} (${l.name}): batchNorm must be true on a conv layer, or absent`);
    const expectRank = l.kind === 'conv' ? 4 : 2;
    if (!Array.isArray(l.shape) || l.shape.length !== expectRank || !l.shape.every((d) => Number.isSafeInteger(d) && d > 0)) {
      throw new StoreError(`${at} (${l.name}): shape ${JSON.stringify(l.shape)} is not a ${expectRank}-d shape of positive integers`);
    }
    const product = l.shape.reduce((a, d) => a * d, 1);
    if (product !== l.weights) throw new StoreError(`${at} (${l.name}): weights ${l.weights} != product of shape ${product}`);
    if (product > 2 ** 31) throw new StoreError(`${at} (${l.name}): ${product} weights is more than a layer may hold`);
  }
}

/** A layers column read back through the one layer schema: a layer this version cannot lay blobs out by is refused. */
export function parseLayers(text: string | null, what: string): LayerInfo[] {
  const r = z.array(LayerInfoSchema).safeParse(parseJson<unknown>(text, what));
  if (!r.success) throw new StoreError(`${what} are invalid: ${r.error.issues.map((i) => `${i.path.join('.') || 'layers'}: ${i.message}`).join('; ')}`, 'corrupt');
  return r.data;
}
