import { defineStore } from 'pinia';
import { ref } from 'vue';
import { api } from '../api/client';
import type { ApiRequest } from '../../../shared/api/contract';
import type { ExportFormat, FigureKind } from '../../../shared/figures/options';
import { fieldErrors, type FieldErrors } from './datasets';

export type ExportRequest = ApiRequest<'exports.figures'>;

/** What the Export panel asks for, kept while the window is open so a second export is one click. */
export interface ExportForm {
  figure: FigureKind;
  formats: ExportFormat[];
  widthInches: number;
  folder: string;
  rounds: string;
  ticketId: string;
}

/** The Export panel's state: paper figures written by main on the machine running the lab. */
export const useExportsStore = defineStore('exports', () => {
  const form = ref<ExportForm>({ figure: 'accuracy', formats: ['svg', 'pdf', 'png', 'csv', 'tex'], widthInches: 3.5, folder: '', rounds: '', ticketId: '' });
  const busy = ref(false);
  const files = ref<string[]>([]);
  /** Files of an earlier export that this one overwrote. */
  const replaced = ref<string[]>([]);
  /** folder|figure of exports done while the window is open: exporting there again asks first. */
  const done = ref<string[]>([]);
  const downloading = ref(false);
  /** Errors by request field (folder, formats, widthInches, rounds, ticketId, experimentIds, figure). */
  const errors = ref<FieldErrors>({});

  async function run(experimentIds: string[]): Promise<string[] | null> {
    const f = form.value;
    busy.value = true;
    errors.value = {};
    files.value = [];
    replaced.value = [];
    const request: ExportRequest = {
      // The mask figure draws the ticket; the experiments still give tex/md their results table.
      experimentIds,
      figure: f.figure,
      formats: f.formats,
      widthInches: f.widthInches,
      folder: f.folder.trim(),
      ...(f.rounds.trim() && (f.figure === 'curves' || f.figure === 'layers') ? { rounds: f.rounds.trim() } : {}),
      ...(f.figure === 'mask' && f.ticketId ? { ticketId: f.ticketId } : {}),
    };
    try {
      const res = await api().call('exports.figures', request);
      files.value = res.files;
      replaced.value = res.replaced ?? [];
      done.value = [...new Set([...done.value, exportKey()])];
      return res.files;
    } catch (e) {
      // 'formats.2' -> 'formats': the panel has one error slot per field.
      const byField: FieldErrors = {};
      for (const [k, v] of Object.entries(fieldErrors(e, 'general'))) byField[k.split('.')[0] || 'general'] ??= v;
      errors.value = byField;
      return null;
    } finally {
      busy.value = false;
    }
  }

  function exportKey(): string {
    return `${form.value.folder.trim()}|${form.value.figure}`;
  }

  /** The files just exported, as one zip the browser saves (browser mode: they live on the serving machine). */
  async function download(): Promise<void> {
    if (!files.value.length) return;
    downloading.value = true;
    try {
      const z = await api().call('exports.zip', { files: files.value });
      const bytes = Uint8Array.from(atob(z.base64), (c) => c.charCodeAt(0));
      const url = URL.createObjectURL(new Blob([bytes], { type: 'application/zip' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = z.fileName;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      errors.value = { ...errors.value, general: (e as Error).message };
    } finally {
      downloading.value = false;
    }
  }

  async function pickFolder(): Promise<void> {
    try {
      const picked = await api().call('host.pickFolder', { title: 'Export figures to…' });
      if (picked) form.value = { ...form.value, folder: picked };
    } catch (e) {
      errors.value = { ...errors.value, folder: (e as Error).message };
    }
  }

  return { form, busy, files, replaced, done, downloading, errors, run, pickFolder, download, exportKey };
});
