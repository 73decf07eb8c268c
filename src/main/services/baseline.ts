import { canonicalJson } from '../store/ids';
import type { Store } from '../store';
import type { ExperimentSpecInput, ExperimentSpec } from '../../shared/spec';
import type { DenseBaseline } from '../../shared/results';
import { aggregateRuns } from '../../shared/aggregate';

/**
 * A transferred ticket is judged against the dense network trained on the target dataset: the same
 * network and training, from scratch, no mask. An experiment is that baseline when it trains the same
 * network with the same training settings on the same dataset (by content hash) without a source ticket.
 */
function sameSetup(a: ExperimentSpec, b: ExperimentSpec): boolean {
  const net = (s: ExperimentSpec) => canonicalJson({ conv: s.network.conv, dense: s.network.dense, dropout: s.network.dropout });
  return a.dataset === b.dataset && net(a) === net(b) && canonicalJson(a.training) === canonicalJson(b.training);
}

/** The newest experiment that is (or will be) the dense baseline for `spec`, if any. */
export function findDenseBaseline(store: Store, spec: ExperimentSpec, exceptId?: string): { id: string; name: string } | null {
  for (const e of store.experiments.list()) {
    if (e.id === exceptId || e.sourceTicketId || e.status === 'failed' || e.status === 'cancelled') continue;
    if (e.datasetId !== spec.dataset) continue;
    const other = store.experiments.spec(e.id);
    if (sameSetup(other, spec)) return { id: e.id, name: e.name };
  }
  return null;
}

/** The spec of the dense baseline a transfer needs: one round, no controls, the transfer's trials and seed. */
export function denseBaselineSpec(transfer: ExperimentSpecInput, datasetName: string): ExperimentSpecInput {
  const { sourceTicketId: _ticket, ...rest } = transfer;
  return {
    ...rest,
    name: `Dense baseline on ${datasetName}`,
    controls: [],
    pruning: { ...transfer.pruning, rounds: 1, rewindIteration: 0, oneShot: false },
  };
}

/** What the window shows beside a transfer's result: the dense network's accuracy on the same data. */
export function denseBaseline(store: Store, experimentId: string): DenseBaseline | null {
  const summary = store.experiments.get(experimentId);
  if (!summary.sourceTicketId) return null;
  const spec = store.experiments.spec(experimentId);
  const found = findDenseBaseline(store, spec, experimentId);
  if (!found) return null;
  const runs = store.experimentDetail(found.id).runs.filter((r) => r.variant === 'ticket' && r.round === 0);
  const agg = aggregateRuns(runs)[0];
  const status = store.experiments.get(found.id).status;
  return {
    experimentId: found.id,
    name: found.name,
    status,
    valAccuracy: agg?.valAccuracy.mean ?? null,
    testAccuracy: agg?.testAccuracy.mean ?? null,
    earlyStopIteration: agg?.earlyStopIteration.mean ?? null,
  };
}
