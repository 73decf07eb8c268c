import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { api } from '../api/client';
import type { TicketRecord } from '../../../shared/results';
import type { TicketUpdate } from '../../../shared/api/contract';
import { networkLabel } from '../lib/format';
import { METHOD_INFO } from '../lib/pruning-methods';
import { PRESETS } from '../../../shared/presets';
import { useDatasetsStore } from './datasets';

/** A network written out by hand (no preset field) is still found by the paper's name of its architecture. */
function architectureNames(n: TicketRecord['network']): string[] {
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  return PRESETS.filter((p) => same(p.spec.network.conv, n.conv) && same(p.spec.network.dense, n.dense) && same(p.spec.network.residual, n.residual)).map((p) => networkLabel({ conv: [], dense: [], ...p.spec.network }));
}

/** What the search box looks in: name, notes, tags, id, network, dataset and method. */
function searchText(t: TicketRecord, datasetName: string): string {
  const method = t.method ? `${t.method} ${METHOD_INFO[t.method].label}` : '';
  return [t.name, t.notes, ...t.tags, t.id, networkLabel(t.network), ...architectureNames(t.network), t.datasetId, datasetName, method, t.retrain ?? ''].join(' ').toLowerCase();
}

export interface TicketFilter {
  text: string;
  dataset: string;
  network: string;
  tag: string;
  /** Show tickets with at most this fraction of weights remaining (1 = all). */
  maxRemaining: number;
}

export const useTicketsStore = defineStore('tickets', () => {
  const list = ref<TicketRecord[]>([]);
  const error = ref<string | null>(null);
  const filter = ref<TicketFilter>({ text: '', dataset: '', network: '', tag: '', maxRemaining: 1 });
  const selectedId = ref<string | null>(null);

  const datasets = useDatasetsStore();
  const filtered = computed(() => {
    const f = filter.value;
    const words = f.text.trim().toLowerCase().split(/\s+/).filter(Boolean);
    const datasetName = (id: string) => datasets.list.find((d) => d.id === id)?.name ?? '';
    return list.value.filter(
      (t) =>
        (!words.length || ((hay) => words.every((w) => hay.includes(w)))(searchText(t, datasetName(t.datasetId)))) &&
        (!f.dataset || t.datasetId === f.dataset) &&
        (!f.network || networkLabel(t.network) === f.network) &&
        (!f.tag || t.tags.includes(f.tag)) &&
        t.weightsRemaining <= f.maxRemaining + 1e-9,
    );
  });
  const facets = computed(() => ({
    datasets: [...new Set(list.value.map((t) => t.datasetId))].sort(),
    networks: [...new Set(list.value.map((t) => networkLabel(t.network)))].sort(),
    tags: [...new Set(list.value.flatMap((t) => t.tags))].sort(),
  }));
  const diskBytes = computed(() => list.value.reduce((a, t) => a + t.diskBytes, 0));

  async function load() {
    try {
      list.value = await api().call('tickets.list', {});
      error.value = null;
    } catch (e) {
      error.value = (e as Error).message;
    }
  }
  async function save(experimentId: string, trial: number, round: number, name?: string) {
    const t = await api().call('tickets.save', { experimentId, trial, round, ...(name ? { name } : {}) });
    await load();
    return t;
  }
  async function update(id: string, update: TicketUpdate) {
    const t = await api().call('tickets.update', { id, update });
    list.value = list.value.map((x) => (x.id === id ? t : x));
    return t;
  }
  async function remove(id: string) {
    await api().call('tickets.delete', { id });
    if (selectedId.value === id) selectedId.value = null;
    await load();
  }
  async function retrain(req: { ticketId: string; datasetId?: string; controls?: ('reinit' | 'random')[]; iterations?: number; trials?: number }) {
    return api().call('tickets.retrain', req);
  }
  async function exportTo(id: string, folder: string) {
    return api().call('tickets.export', { id, folder });
  }
  return { list, error, filter, filtered, facets, diskBytes, selectedId, load, save, update, remove, retrain, exportTo };
});
