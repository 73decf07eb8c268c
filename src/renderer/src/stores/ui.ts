import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ExperimentSpecInput } from '../../../shared/spec';

export type ViewName = 'datasets' | 'wizard' | 'runs' | 'tickets' | 'compare';
export const VIEWS: readonly ViewName[] = ['datasets', 'wizard', 'runs', 'tickets', 'compare'];

/** Which view is open and what the comparison holds; the address bar mirrors it (lib/router.ts). */
export const useUiStore = defineStore('ui', () => {
  const view = ref<ViewName>('datasets');
  const compareExperiments = ref<string[]>([]);
  const compareTickets = ref<string[]>([]);
  /** Runs view: the runs the run chart shows ('trial:variant:round' keys); empty = the latest. */
  const shownRuns = ref<string[]>([]);
  /** A spec the wizard opens filled in with ("Clone and edit"); taken once by the wizard. */
  const draft = ref<ExperimentSpecInput | null>(null);
  function go(v: ViewName) {
    view.value = v;
  }
  function editInWizard(spec: ExperimentSpecInput) {
    draft.value = JSON.parse(JSON.stringify(spec)) as ExperimentSpecInput;
    view.value = 'wizard';
  }
  function toggle(list: 'experiments' | 'tickets', id: string) {
    const r = list === 'experiments' ? compareExperiments : compareTickets;
    r.value = r.value.includes(id) ? r.value.filter((x) => x !== id) : [...r.value, id];
  }
  return { view, compareExperiments, compareTickets, shownRuns, draft, go, toggle, editInWizard };
});
