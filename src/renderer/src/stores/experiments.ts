import { defineStore } from 'pinia';
import { ref } from 'vue';
import { api } from '../api/client';
import type { ExperimentDetail, ExperimentSummary } from '../../../shared/results';
import type { LabEvent } from '../../../shared/api/contract';
import type { ExperimentSpecInput } from '../../../shared/spec';

type Progress = Extract<LabEvent, { type: 'progress' }>;

/** Evaluations of the run in progress, for the live chart (the events carry the latest evaluation). */
export interface LivePoint {
  iteration: number;
  valAccuracy: number;
  testAccuracy: number | null;
  valLoss: number;
}

export interface LiveRun {
  progress: Progress;
  key: string;
  points: LivePoint[];
}

export const useExperimentsStore = defineStore('experiments', () => {
  const list = ref<ExperimentSummary[]>([]);
  const details = ref<Record<string, ExperimentDetail>>({});
  const live = ref<Record<string, LiveRun>>({});
  const selectedId = ref<string | null>(null);
  const error = ref<string | null>(null);
  /** True once the list has been read (an empty list then means "no experiments yet"). */
  const loaded = ref(false);

  async function load() {
    try {
      list.value = await api().call('experiments.list', {});
      loaded.value = true;
      error.value = null;
    } catch (e) {
      error.value = (e as Error).message;
    }
  }

  async function loadDetail(id: string): Promise<ExperimentDetail> {
    const d = await api().call('experiments.get', { id });
    details.value = { ...details.value, [id]: d };
    return d;
  }

  async function create(spec: ExperimentSpecInput): Promise<ExperimentSummary> {
    const s = await api().call('experiments.create', spec);
    await load();
    selectedId.value = s.id;
    return s;
  }

  async function control(action: 'pause' | 'resume' | 'cancel' | 'delete', id: string) {
    await api().call(`experiments.${action}`, { id });
    if (action === 'delete') {
      const { [id]: _gone, ...rest } = details.value;
      details.value = rest;
      if (selectedId.value === id) selectedId.value = null;
    }
    await load();
    if (action !== 'delete') await loadDetail(id).catch(() => undefined);
  }

  /** Notes, tags (and name) of an experiment record. */
  async function update(id: string, u: { name?: string; notes?: string; tags?: string[] }): Promise<ExperimentSummary> {
    const s = await api().call('experiments.update', { id, update: u });
    list.value = list.value.map((x) => (x.id === id ? { ...x, name: s.name, notes: s.notes ?? '', tags: s.tags ?? [] } : x));
    const d = details.value[id];
    if (d) details.value = { ...details.value, [id]: { ...d, name: s.name, notes: s.notes ?? '', tags: s.tags ?? [] } };
    return s;
  }

  async function rename(id: string, name: string): Promise<ExperimentSummary> {
    const s = await api().call('experiments.rename', { id, name });
    list.value = list.value.map((x) => (x.id === id ? { ...x, name: s.name } : x));
    const d = details.value[id];
    if (d) details.value = { ...details.value, [id]: { ...d, name: s.name } };
    return s;
  }

  /** Evaluations seen per run (trial:variant:round) of each experiment: packed runs report in turns. */
  const seen = new Map<string, LivePoint[]>();

  /** An instability analysis of an experiment's rounds or of a ticket; listed at once. */
  async function analyzeStability(req: { experimentId?: string; ticketId?: string }): Promise<ExperimentSummary> {
    const s = await api().call('experiments.analyzeStability', req);
    await load();
    return s;
  }

  function onProgress(e: Progress) {
    const key = `${e.trial}:${e.variant}:${e.round}`;
    const prev = live.value[e.experimentId];
    const runId = `${e.experimentId}/${key}`;
    const points = seen.get(runId) ?? [];
    seen.set(runId, points);
    // A progress tick repeats the latest evaluation: plot it once, at the iteration it was taken.
    const last = points.at(-1);
    const changed = !last || last.valAccuracy !== e.valAccuracy || last.valLoss !== e.valLoss;
    const at = e.evalIteration !== undefined ? e.evalIteration : changed ? e.iteration : null;
    if (at !== null && e.valAccuracy !== null && e.valLoss !== null && !points.some((p) => p.iteration === at)) {
      points.push({ iteration: at, valAccuracy: e.valAccuracy, testAccuracy: e.testAccuracy, valLoss: e.valLoss });
    }
    live.value = { ...live.value, [e.experimentId]: { progress: e, key, points: [...points] } };
    const s = list.value.find((x) => x.id === e.experimentId);
    if (s && s.status !== 'running') s.status = 'running';
    // Started elsewhere (the CLI, another window): list it, and read its curve so far.
    if (!s || !prev) scheduleRefresh(e.experimentId);
  }

  let refreshTimer: ReturnType<typeof setTimeout> | null = null;
  /** Many runs can finish together (controls, trials): refresh once for a burst. */
  function scheduleRefresh(id: string) {
    if (refreshTimer) clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => {
      refreshTimer = null;
      void load();
      if (details.value[id] || selectedId.value === id) void loadDetail(id).catch(() => undefined);
    }, 150);
  }

  function handleEvent(e: LabEvent) {
    if (e.type === 'progress') onProgress(e);
    else scheduleRefresh(e.experimentId);
  }

  function listen() {
    return api().onEvent(handleEvent);
  }

  return { list, details, live, selectedId, error, loaded, load, loadDetail, create, control, rename, update, analyzeStability, handleEvent, listen };
});
