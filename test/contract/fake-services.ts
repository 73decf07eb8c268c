import type { LabEvent } from '../../src/shared/events';
import { PRESETS } from '../../src/shared/presets';
import type { LabServices } from '../../src/main/services/types';
import { experimentDetail, experimentSummary, mnistInfo, ticket } from './fixtures';

/** An in-memory LabServices that records calls: for contract, server and glue tests only. */
export function fakeServices(): LabServices & { calls: { method: string; args: unknown[] }[]; emit(e: LabEvent): void } {
  const calls: { method: string; args: unknown[] }[] = [];
  const listeners = new Set<(e: LabEvent) => void>();
  const rec = (method: string, args: unknown[]) => calls.push({ method, args });
  const tickets = [ticket('t1', 1), ticket('t2', 2)];
  const find = (id: string) => {
    const t = tickets.find((x) => x.id === id);
    if (!t) throw new Error(`ticket ${id} not found`);
    return t;
  };
  return {
    calls,
    emit: (e) => listeners.forEach((l) => l(e)),
    system: () => ({ version: '0.1.0', tfjsVersion: '4.22.0', backend: 'wasm', backendDetail: 'wasm SIMD', backendNote: null, adapter: null, dataDir: '/tmp/lth', databasePath: '/tmp/lth/lth.sqlite', cpus: 2 }),
    presets: () => PRESETS,
    datasets: {
      list: () => [mnistInfo],
      get: (id) => {
        if (id !== 'mnist') throw new Error(`dataset ${id} not found`);
        return mnistInfo;
      },
      import: async (kind, folder, name) => {
        rec('datasets.import', [kind, folder, name]);
        return { ...mnistInfo, id: 'imported', name: name ?? 'imported', source: kind };
      },
      samples: async (id, perClass, split) => ({
        datasetId: id,
        split,
        shape: [28, 28, 1],
        classes: mnistInfo.classNames.map((c, i) => ({ classIndex: i, className: c, images: Array.from({ length: perClass }, () => Array.from({ length: 784 }, (_, p) => ((p * (i + 3)) % 255))) })),
      }),
    },
    experiments: {
      list: () => [experimentSummary],
      get: () => experimentDetail,
      create: (spec) => {
        rec('experiments.create', [spec]);
        return { ...experimentSummary, status: 'queued', datasetId: spec.dataset };
      },
      delete: (id) => void rec('experiments.delete', [id]),
      cancel: (id) => void rec('experiments.cancel', [id]),
      pause: (id) => void rec('experiments.pause', [id]),
      resume: (id) => void rec('experiments.resume', [id]),
      maskHeatmap: () => ({ height: 2, width: 2, counts: [1, 2, 3, 4] }),
      update: (id, u) => {
        rec('experiments.update', [id, u]);
        return { ...experimentSummary, notes: '', tags: [], ...u };
      },
      rename: (id, name) => {
        rec('experiments.rename', [id, name]);
        return { ...experimentSummary, name };
      },
      analyzeStability: (r) => {
        rec('experiments.analyzeStability', [r]);
        return { ...experimentSummary, id: 'e_stab', name: `Instability of ${r.ticketId ? `ticket ${r.ticketId}` : `experiment ${r.experimentId}`}`, status: 'queued' };
      },
    },
    tickets: {
      list: () => tickets,
      get: find,
      save: (experimentId, trial, round, name) => {
        rec('tickets.save', [experimentId, trial, round, name]);
        return ticket(`t${round}`, round, name ? { name } : {});
      },
      update: (id, u) => ({ ...find(id), ...u }),
      delete: (id) => void rec('tickets.delete', [id]),
      export: async (id, folder) => `${folder}/${id}`,
      import: async () => ticket('t9', 1),
      retrain: (r) => {
        rec('tickets.retrain', [r]);
        return { ...experimentSummary, id: 'e2', status: 'queued' };
      },
      overlapMatrix: (refs) => ({
        masks: refs.map((ref) => ({ ref, label: ref })),
        layers: ['dense_1', 'output'],
        iou: refs.map((_, i) => refs.map((__, j) => (i === j ? 1 : 0.6))),
        hamming: refs.map((_, i) => refs.map((__, j) => (i === j ? 0 : 0.2))),
        iouPerLayer: refs.map((_, i) => refs.map((__, j) => (i === j ? [1, 1] : [0.5, 0.9]))),
        hammingPerLayer: refs.map((_, i) => refs.map((__, j) => (i === j ? [0, 0] : [0.25, 0.05]))),
      }),
      maskOverlap: (a, b) => ({ ticketA: a, ticketB: b, layers: [{ name: 'dense_1', jaccard: 0.8 }, { name: 'dense_2', jaccard: 0.75 }, { name: 'output', jaccard: 0.9 }] }),
      weightHistogram: (id) => ({ ticketId: id, source: 'trained', bins: 4, layers: [{ name: 'fc1', kind: 'dense', kept: 10, total: 20, max: 0.4, counts: [1, 2, 3, 4], rate: 0.2, threshold: 0.15 }] }),
      pixelHeatmap: () => ({ height: 28, width: 28, counts: Array.from({ length: 784 }, (_, p) => { const x = (p % 28) - 13.5, y = Math.floor(p / 28) - 13.5; return Math.max(0, Math.round(240 - (x * x + y * y) * 1.3)); }) }),
    },
    slurm: {
      submit: (r) => {
        rec('slurm.submit', [r]);
        return { ...experimentSummary, status: 'running' };
      },
      sync: (id) => ({ experimentId: id, status: 'completed', runsAdded: 0, masksAdded: 0, weightsAdded: 0, warning: null }),
    },
    exports: {
      figures: async (r) => {
        rec('exports.figures', [r]);
        return { files: r.formats.map((f) => `${r.folder.replace(/\/$/, '')}/${r.figure}.${f}`) };
      },
      zip: async (files) => {
        rec('exports.zip', [files]);
        return { fileName: 'figures.zip', base64: 'UEs=', bytes: 2 };
      },
    },
    subscribe: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
}
