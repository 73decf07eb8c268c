import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { api } from '../api/client';
import type { TicketRecord } from '../../../shared/results';
import type { TicketUpdate } from '../../../shared/api/contract';
import { networkLabel } from '../lib/format';

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

  const filtered = computed(() => {
    const f = filter.value;
    const text = f.text.trim().toLowerCase();
    return list.value.filter(
      (t) =>
        (!text || `${t.name} ${t.notes} ${t.tags.join(' ')} ${t.id}`.toLowerCase().includes(text)) &&
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
