import { defineStore } from 'pinia';
import { ref } from 'vue';

export type ViewName = 'datasets' | 'wizard' | 'runs' | 'tickets' | 'compare';

/** Which view is open and what the comparison holds: no router, the lab is one window. */
export const useUiStore = defineStore('ui', () => {
  const view = ref<ViewName>('datasets');
  const compareExperiments = ref<string[]>([]);
  const compareTickets = ref<string[]>([]);
  function go(v: ViewName) {
    view.value = v;
  }
  function toggle(list: 'experiments' | 'tickets', id: string) {
    const r = list === 'experiments' ? compareExperiments : compareTickets;
    r.value = r.value.includes(id) ? r.value.filter((x) => x !== id) : [...r.value, id];
  }
  return { view, compareExperiments, compareTickets, go, toggle };
});
