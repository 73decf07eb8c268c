import { z } from 'zod';
import { ExperimentSpecSchema } from '../spec';
import type { Preset } from '../presets';
import type { DatasetInfo, ExperimentDetail, ExperimentSummary, TicketRecord } from '../results';
import type { LabEvent } from '../events';
// Type-only: erased at build time, so the renderer bundles nothing from main.
import type { OverlapMatrix } from '../analyses/overlap';
import type { DatasetSamples, ExportFiguresRequest, ExportedFiles, MaskOverlap, SystemInfo, TicketUpdate, RetrainRequest, ZippedFiles, WeightHistogram } from '../../main/services/types';
// The figure module's option lists and parsers (no Chart.js, no DOM): the CLI and the window accept the same values.
import { EXPORT_FORMATS, FIGURE_KINDS, parseRounds, parseWidth } from '../figures/options';
import { FigureOptionError } from '../figures/errors';
import type { Channel } from './channels';
import { SlurmSubmitSchema, type SlurmSyncSummary } from '../slurm';

/**
 * The one API contract between the window (Electron renderer or browser) and main.
 * Every call has a zod request schema (validated in main, whatever the transport) and a response
 * type. test/contract checks at compile time that this map and LabServices stay 1:1.
 */

const id = z.string().min(1).max(128);
const folder = z.string().min(1).max(4096);
const none = z.object({}).strict();

/** POSIX (/home/me) or Windows (C:\\figs, \\\\server\\share): the serving machine's OS judges it again. */
export function isAbsolutePath(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\');
}

/** A figure-option parser as a zod step: its one-line message becomes the field's error. */
function parsed<I, O>(parse: (v: I) => O) {
  return (v: I, ctx: z.core.$RefinementCtx<I>): O => {
    try {
      return parse(v);
    } catch (e) {
      if (!(e instanceof FigureOptionError)) throw e;
      ctx.issues.push({ code: 'custom', message: e.message.replace(/^--rounds/, 'rounds'), input: v });
      return z.NEVER;
    }
  };
}

/** Paper figures written on the serving machine: the same options as `lth export`. */
export const ExportFiguresSchema = z
  .object({
    experimentIds: z.array(id).max(32).default([]),
    figure: z.enum(FIGURE_KINDS),
    formats: z
      .array(z.enum(EXPORT_FORMATS))
      .min(1, `choose at least one format: ${EXPORT_FORMATS.join(', ')}`)
      .transform((fs) => [...new Set(fs)]),
    // 3.5 (inches), or as on the command line: '3.5in', '89mm', 'single', 'double'.
    widthInches: z.union([z.number(), z.string().max(32)]).transform(parsed((v: number | string) => parseWidth(typeof v === 'number' ? `${v}in` : v))),
    folder: folder.refine(isAbsolutePath, 'give an absolute path on the machine running the lab, e.g. /home/me/figures'),
    // Round numbers, or a list such as '0,3,5' or '0-4'.
    rounds: z
      .union([z.array(z.number().int().min(0).max(100_000)).min(1).max(1000), z.string().max(500)])
      .transform(parsed((v: number[] | string) => (typeof v === 'string' ? parseRounds(v) : [...new Set(v)].sort((a, b) => a - b))))
      .optional(),
    ticketId: id.optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.figure === 'mask' && !r.ticketId) ctx.addIssue({ code: 'custom', path: ['ticketId'], message: 'the mask figure shows one ticket: choose it' });
    if (r.figure !== 'mask' && r.experimentIds.length === 0) ctx.addIssue({ code: 'custom', path: ['experimentIds'], message: `the ${r.figure} figure needs at least one experiment` });
    if (r.experimentIds.length === 0 && r.formats.some((f) => f === 'tex' || f === 'md')) {
      ctx.addIssue({ code: 'custom', path: ['formats'], message: 'tex and md write the results table of an experiment: choose one' });
    }
  });

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
  'experiments.rename': z.object({ id, name: z.string().trim().min(1, 'cannot be empty').max(200) }).strict(),
  'experiments.update': z
    .object({
      id,
      update: z
        .object({
          name: z.string().trim().min(1, 'cannot be empty').max(200).optional(),
          notes: z.string().max(20_000).optional(),
          tags: z.array(z.string().trim().min(1).max(64)).max(64).optional(),
        })
        .strict(),
    })
    .strict(),
  'experiments.maskHeatmap': z.object({ id, trial: z.number().int().min(0), round: z.number().int().min(0) }).strict(),
  'experiments.analyzeStability': z
    .object({
      experimentId: id.optional(),
      ticketId: id.optional(),
      interpolationPoints: z.number().int().min(2).max(200).optional(),
      threshold: z.number().gt(0).lt(1).optional(),
      name: z.string().trim().min(1).max(200).optional(),
    })
    .strict()
    .refine((r) => Boolean(r.experimentId) !== Boolean(r.ticketId), { message: 'start from an experiment or a ticket: give experimentId or ticketId, not both', path: ['experimentId'] }),
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
      baseline: z.boolean().optional(),
    })
    .strict(),
  'tickets.maskOverlap': z.object({ ticketA: id, ticketB: id }).strict(),
  /** Masks as `ticket:ID` or `experiment:ID:TRIAL:ROUND`. */
  'tickets.overlapMatrix': z.object({ refs: z.array(z.string().min(1).max(200)).min(2).max(16) }).strict(),
  'tickets.pixelHeatmap': z.object({ id }).strict(),
  'tickets.weightHistogram': z.object({ id }).strict(),
  'exports.figures': ExportFiguresSchema,
  // Resources only; #SBATCH and shell lines come from a named profile on the serving machine (src/shared/slurm).
  'slurm.submit': SlurmSubmitSchema,
  'slurm.sync': z.object({ id }).strict(),
  // Files an export of this lab wrote, as one zip for the browser to download.
  'exports.zip': z.object({ files: z.array(folder).min(1).max(64) }).strict(),
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
  'experiments.rename': ExperimentSummary;
  'experiments.update': ExperimentSummary;
  'experiments.maskHeatmap': { height: number; width: number; counts: number[] };
  'experiments.analyzeStability': ExperimentSummary;
  'tickets.list': TicketRecord[];
  'tickets.get': TicketRecord;
  'tickets.save': TicketRecord;
  'tickets.update': TicketRecord;
  'tickets.delete': void;
  'tickets.export': string;
  'tickets.import': TicketRecord;
  'tickets.retrain': ExperimentSummary;
  'tickets.maskOverlap': MaskOverlap;
  'tickets.overlapMatrix': OverlapMatrix;
  'tickets.pixelHeatmap': { height: number; width: number; counts: number[] };
  'tickets.weightHistogram': WeightHistogram;
  'exports.figures': ExportedFiles;
  'exports.zip': ZippedFiles;
  'slurm.submit': ExperimentSummary;
  'slurm.sync': SlurmSyncSummary;
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
export type { DatasetSamples, ExportFiguresRequest, ExportedFiles, MaskOverlap, SystemInfo, TicketUpdate, RetrainRequest, WeightHistogram, ZippedFiles };

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
