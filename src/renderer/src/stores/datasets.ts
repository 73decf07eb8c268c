import { defineStore } from 'pinia';
import { ref } from 'vue';
import { api, ApiCallError } from '../api/client';
import { humanIssue, plainMessage } from '../lib/messages';
import type { DatasetSamples } from '../../../shared/api/contract';
import type { DatasetInfo } from '../../../shared/results';

export interface FieldErrors {
  [field: string]: string;
}

/** Errors keyed by request field, so the form can show each beside its input. */
export function fieldErrors(e: unknown, fallbackField: string): FieldErrors {
  if (e instanceof ApiCallError) {
    const out: FieldErrors = {};
    // Schema wording becomes the user's ("Width must be at least 1"); messages already in words stay.
    for (const i of e.issues ?? []) out[i.field || fallbackField] ??= i.field ? humanIssue(i.field, i.message) : plainMessage(i.message);
    if (Object.keys(out).length === 0) out[e.field ?? fallbackField] = e.message;
    return out;
  }
  return { [fallbackField]: (e as Error).message ?? String(e) };
}

export const useDatasetsStore = defineStore('datasets', () => {
  const list = ref<DatasetInfo[]>([]);
  const selectedId = ref<string | null>(null);
  const samples = ref<Record<string, DatasetSamples>>({});
  const loading = ref(false);
  const error = ref<string | null>(null);
  const importing = ref(false);
  const importErrors = ref<FieldErrors>({});

  async function load() {
    loading.value = true;
    try {
      list.value = await api().call('datasets.list', {});
      if (!selectedId.value && list.value[0]) selectedId.value = list.value[0].id;
      error.value = null;
    } catch (e) {
      error.value = (e as Error).message;
    } finally {
      loading.value = false;
    }
  }

  async function loadSamples(id: string, perClass = 8) {
    const key = `${id}:${perClass}`;
    if (samples.value[key]) return samples.value[key];
    const s = await api().call('datasets.samples', { id, perClass, split: 'train' });
    samples.value = { ...samples.value, [key]: s };
    return s;
  }

  async function importFolder(kind: 'idx' | 'cifar10', folder: string, name?: string): Promise<DatasetInfo | null> {
    importing.value = true;
    importErrors.value = {};
    try {
      const info = await api().call('datasets.import', { kind, folder, ...(name ? { name } : {}) });
      await load();
      selectedId.value = info.id;
      return info;
    } catch (e) {
      importErrors.value = fieldErrors(e, 'folder');
      return null;
    } finally {
      importing.value = false;
    }
  }

  async function pickFolder(title: string): Promise<string | null> {
    return api().call('host.pickFolder', { title });
  }

  return { list, selectedId, samples, loading, error, importing, importErrors, load, loadSamples, importFolder, pickFolder };
});
