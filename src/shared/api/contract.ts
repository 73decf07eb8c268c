import { z } from 'zod';
import { ExperimentSpecSchema } from '../spec';
import type { Preset } from '../presets';
import type { DatasetInfo, ExperimentDetail, ExperimentSummary, TicketRecord } from '../results';
import type { LabEvent } from '../events';
// Type-only: erased at build time, so the renderer bundles nothing from main.
import type { DatasetSamples, MaskOverlap, SystemInfo, TicketUpdate, RetrainRequest } from '../../main/services/types';
import type { Channel } from './channels';

/**
 * The one API contract between the window (Electron renderer or browser) and main.
 * Every call has a zod request schema (validated in main, whatever the transport) and a response
 * type. test/contract checks at compile time that this map and LabServices stay 1:1.
 */

const id = z.string().min(1).max(128);
const folder = z.string().min(1).max(4096);
const none = z.object({}).strict();

export const requestSchemas = {
  system: none,
  presets: none,
  'datasets.list': none,
  'datasets.get': z.object({ id }).strict(),
  'datasets.import': z
    .object({ kind: z.enum(['idx', 'cifar10']), folder, name: z.string().min(1).max(200).optional() })
    .strict(),
  'datasets.samples': z
    .object({ id, perClass: z.number().int().min(1).max(64), split: z.enum(['train', 'test']).default('train') })
    .strict(),
  'experiments.list': none,
  'experiments.get': z.object({ id }).strict(),
  // The spec itself is the request, so error fields read as spec paths ('training.iterations').
  'experiments.create': ExperimentSpecSchema,
  'experiments.delete': z.object({ id }).strict(),
  'experiments.cancel': z.object({ id }).strict(),
  'experiments.pause': z.object({ id }).strict(),
  'experiments.resume': z.object({ id }).strict(),
  'tickets.list': none,
  'tickets.get': z.object({ id }).strict(),
  'tickets.save': z
    .object({
      experimentId: id,
      trial: z.number().int().min(0),
      round: z.number().int().min(0),
      name: z.string().min(1).max(200).optional(),
    })
    .strict(),
  'tickets.update': z
    .object({
      id,
      update: z
        .object({
          name: z.string().min(1).max(200).optional(),
          notes: z.string().max(20_000).optional(),
          tags: z.array(z.string().min(1).max(64)).max(64).optional(),
        })
        .strict(),
    })
    .strict(),
  'tickets.delete': z.object({ id }).strict(),
  'tickets.export': z.object({ id, folder }).strict(),
  'tickets.import': z.object({ folder }).strict(),
  'tickets.retrain': z
    .object({
      ticketId: id,
      datasetId: id.optional(),
      controls: z.array(z.enum(['reinit', 'random'])).max(2).optional(),
      iterations: z.number().int().min(1).max(10_000_000).optional(),
      trials: z.number().int().min(1).max(100).optional(),
    })
    .strict(),
  'tickets.maskOverlap': z.object({ ticketA: id, ticketB: id }).strict(),
  'tickets.pixelHeatmap': z.object({ id }).strict(),
  'host.pickFolder': z.object({ title: z.string().max(200).optional() }).strict(),
} satisfies Record<Channel, z.ZodType>;

export interface ApiResponses {
  system: SystemInfo;
  presets: readonly Preset[];
  'datasets.list': DatasetInfo[];
  'datasets.get': DatasetInfo;
  'datasets.import': DatasetInfo;
  'datasets.samples': DatasetSamples;
  'experiments.list': ExperimentSummary[];
  'experiments.get': ExperimentDetail;
  'experiments.create': ExperimentSummary;
  'experiments.delete': void;
  'experiments.cancel': void;
  'experiments.pause': void;
  'experiments.resume': void;
  'tickets.list': TicketRecord[];
  'tickets.get': TicketRecord;
  'tickets.save': TicketRecord;
  'tickets.update': TicketRecord;
  'tickets.delete': void;
  'tickets.export': string;
  'tickets.import': TicketRecord;
  'tickets.retrain': ExperimentSummary;
  'tickets.maskOverlap': MaskOverlap;
  'tickets.pixelHeatmap': { height: number; width: number; counts: number[] };
  /** null when the user closed the dialog. */
  'host.pickFolder': string | null;
}

/** What a caller sends (defaults may be omitted). */
export type ApiRequest<C extends Channel> = z.input<(typeof requestSchemas)[C]>;
/** What a handler receives after validation (defaults filled in). */
export type ApiParsed<C extends Channel> = z.output<(typeof requestSchemas)[C]>;
export type ApiResponse<C extends Channel> = ApiResponses[C];

export type ApiErrorCode = 'invalid' | 'not_found' | 'unsupported' | 'forbidden' | 'conflict' | 'internal';

/** Every failure crosses the wire as this; `field` is a dotted path into the request when one is to blame. */
export interface ApiError {
  code: ApiErrorCode;
  message: string;
  field?: string;
  /** Every problem, when validation found several (the wizard shows each beside its field). */
  issues?: { field: string; message: string }[];
}

export type ApiResult<T> = { ok: true; data: T } | { ok: false; error: ApiError };

export type { LabEvent };
export type { Channel, ServiceChannel, HostChannel } from './channels';
export type { DatasetSamples, MaskOverlap, SystemInfo, TicketUpdate, RetrainRequest };

/** Zod issues -> ApiError naming the first offending field and listing all of them. */
export function zodToApiError(error: z.ZodError): ApiError {
  const issues = error.issues.map((i) => ({ field: i.path.map(String).join('.'), message: i.message }));
  const first = issues[0];
  return {
    code: 'invalid',
    message: issues.map((i) => (i.field ? `${i.field}: ${i.message}` : i.message)).join('\n') || 'invalid request',
    ...(first?.field ? { field: first.field } : {}),
    issues,
  };
}
