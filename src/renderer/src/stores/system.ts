import { defineStore } from 'pinia';
import { ref } from 'vue';
import { api } from '../api/client';
import type { SystemInfo } from '../../../shared/api/contract';
import type { Preset } from '../../../shared/presets';

export const useSystemStore = defineStore('system', () => {
  const info = ref<SystemInfo | null>(null);
  const presets = ref<readonly Preset[]>([]);
  const error = ref<string | null>(null);
  const connected = ref(true);

  async function load() {
    try {
      [info.value, presets.value] = await Promise.all([api().call('system', {}), api().call('presets', {})]);
      error.value = null;
    } catch (e) {
      error.value = (e as Error).message;
    }
  }
  function watchConnection() {
    connected.value = api().connected();
    return api().onConnection((up) => {
      connected.value = up;
      if (up && !info.value) void load();
    });
  }
  return { info, presets, error, connected, load, watchConnection, transport: () => api().transport };
});
