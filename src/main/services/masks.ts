import type { OverlapMatrix } from '../../shared/analyses/overlap';
import { maskOverlap } from '../engine/analyses/overlap';
import type { Mask } from '../engine/types';
import type { Store } from '../store';
import { StoreError } from '../store/errors';

interface NamedMask {
  ref: string;
  label: string;
  layers: string[];
  mask: Mask;
}

/** `ticket:ID` (or a bare ticket id) or `experiment:ID:TRIAL:ROUND`: a stored mask and a name for it. */
function loadMask(store: Store, ref: string): NamedMask {
  const exp = /^experiment:([^:]+):(\d+):(\d+)$/.exec(ref);
  if (exp) {
    const [, id, trial, round] = exp;
    const name = store.experiments.get(id!).name;
    const layers = store.experiments.layers(id!);
    const label = `${name} · trial ${trial} round ${round}`;
    const mask = store.artifacts.mask(id!, Number(trial), Number(round));
    if (mask) return { ref, label, layers: layers.map((l) => l.name), mask };
    // The dense round keeps every weight; the driver need not have stored that mask.
    if (Number(round) === 0) return { ref, label, layers: layers.map((l) => l.name), mask: layers.map((l) => new Uint8Array(l.weights).fill(1)) };
    throw new StoreError(`${ref}: experiment ${id} has no mask for trial ${trial} round ${round}`, 'not-found');
  }
  if (ref.startsWith('experiment:')) throw new StoreError(`${ref}: expected experiment:ID:TRIAL:ROUND, e.g. experiment:e_abc:0:3`);
  const id = ref.startsWith('ticket:') ? ref.slice('ticket:'.length) : ref;
  const t = store.tickets.load(id);
  return { ref, label: t.record.name, layers: t.layers.map((l) => l.name), mask: t.mask };
}

/** Every pair of the given masks; they must come from the same network (same layer sizes). */
export function overlapMatrix(store: Store, refs: readonly string[]): OverlapMatrix {
  if (refs.length < 2) throw new StoreError('mask overlap needs at least two masks');
  const masks = refs.map((r) => loadMask(store, r));
  const shape = (m: NamedMask) => m.mask.map((l) => l.length).join(',');
  for (const m of masks.slice(1)) {
    if (shape(m) !== shape(masks[0]!)) {
      throw new StoreError(`masks of different shapes: ${masks[0]!.ref} has layers of [${shape(masks[0]!)}] weights, ${m.ref} has [${shape(m)}]`);
    }
  }
  const pairs = masks.map((a) => masks.map((b) => maskOverlap(a.mask, b.mask)));
  return {
    masks: masks.map((m) => ({ ref: m.ref, label: m.label })),
    layers: masks[0]!.layers,
    iou: pairs.map((row) => row.map((o) => o.iou.overall)),
    hamming: pairs.map((row) => row.map((o) => o.hamming.overall)),
    iouPerLayer: pairs.map((row) => row.map((o) => o.iou.perLayer)),
    hammingPerLayer: pairs.map((row) => row.map((o) => o.hamming.perLayer)),
  };
}
