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
  /** Errors by request field (folder, formats, widthInches, rounds, ticketId, experimentIds, figure). */
  const errors = ref<FieldErrors>({});

  async function run(experimentIds: string[]): Promise<string[] | null> {
    const f = form.value;
    busy.value = true;
    errors.value = {};
    files.value = [];
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

  async function pickFolder(): Promise<void> {
    try {
      const picked = await api().call('host.pickFolder', { title: 'Export figures to…' });
      if (picked) form.value = { ...form.value, folder: picked };
    } catch (e) {
      errors.value = { ...errors.value, folder: (e as Error).message };
    }
  }

  return { form, busy, files, errors, run, pickFolder };
});
