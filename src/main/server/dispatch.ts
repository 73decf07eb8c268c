import { ZodError } from 'zod';
import { requestSchemas, zodToApiError, type ApiError, type ApiParsed, type ApiResponse, type ApiResult } from '../../shared/api/contract';
import { isChannel, type Channel, type HostChannel, type ServiceChannel } from '../../shared/api/channels';
import type { LabServices } from '../services/types';

/**
 * The single place a request from any window (Electron IPC or the browser-mode WebSocket/HTTP API)
 * is validated against the contract and turned into a LabServices call.
 */

type Handler<C extends Channel> = (s: LabServices, req: ApiParsed<C>) => ApiResponse<C> | Promise<ApiResponse<C>>;
export type ServiceHandlers = { [C in ServiceChannel]: Handler<C> };
/** Desktop-only calls; the browser-mode server passes none and they answer 'unsupported'. */
export type HostHandlers = { [C in HostChannel]: (req: ApiParsed<C>) => Promise<ApiResponse<C>> };

export const serviceHandlers: ServiceHandlers = {
  system: (s) => s.system(),
  presets: (s) => s.presets(),
  'datasets.list': (s) => s.datasets.list(),
  'datasets.get': (s, r) => s.datasets.get(r.id),
  'datasets.import': (s, r) => s.datasets.import(r.kind, r.folder, r.name),
  'datasets.samples': (s, r) => s.datasets.samples(r.id, r.perClass, r.split),
  'experiments.list': (s) => s.experiments.list(),
  'experiments.get': (s, r) => s.experiments.get(r.id),
  'experiments.create': (s, r) => s.experiments.create(r),
  'experiments.delete': (s, r) => s.experiments.delete(r.id),
  'experiments.cancel': (s, r) => s.experiments.cancel(r.id),
  'experiments.pause': (s, r) => s.experiments.pause(r.id),
  'experiments.resume': (s, r) => s.experiments.resume(r.id),
  'tickets.list': (s) => s.tickets.list(),
  'tickets.get': (s, r) => s.tickets.get(r.id),
  'tickets.save': (s, r) => s.tickets.save(r.experimentId, r.trial, r.round, r.name),
  'tickets.update': (s, r) => s.tickets.update(r.id, r.update),
  'tickets.delete': (s, r) => s.tickets.delete(r.id),
  'tickets.export': (s, r) => s.tickets.export(r.id, r.folder),
  'tickets.import': (s, r) => s.tickets.import(r.folder),
  'tickets.retrain': (s, r) => s.tickets.retrain(r),
  'tickets.maskOverlap': (s, r) => s.tickets.maskOverlap(r.ticketA, r.ticketB),
  'tickets.overlapMatrix': (s, r) => s.tickets.overlapMatrix(r.refs),
  'tickets.pixelHeatmap': (s, r) => s.tickets.pixelHeatmap(r.id),
  'tickets.weightHistogram': (s, r) => s.tickets.weightHistogram(r.id),
  'exports.figures': (s, r) => s.exports.figures(r),
  'exports.zip': (s, r) => s.exports.zip(r.files),
  'experiments.rename': (s, r) => s.experiments.rename(r.id, r.name),
  'experiments.update': (s, r) => s.experiments.update(r.id, r.update),
  'experiments.maskHeatmap': (s, r) => s.experiments.maskHeatmap(r.id, r.trial, r.round),
  'experiments.analyzeStability': (s, r) => s.experiments.analyzeStability(r),
  'slurm.submit': (s, r) => s.slurm.submit(r),
  'slurm.sync': (s, r) => s.slurm.sync(r.id),
};

/** Any thrown value -> ApiError. Services signal not-found/field problems by message or by `code`/`issues` fields. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ZodError) return zodToApiError(err);
  if (err && typeof err === 'object') {
    const e = err as { message?: unknown; code?: unknown; field?: unknown; issues?: unknown; name?: unknown };
    const message = typeof e.message === 'string' ? e.message : String(err);
    // SpecError from src/shared/spec carries { path, message } issues.
    if (Array.isArray(e.issues)) {
      const issues = (e.issues as { path?: unknown; field?: unknown; message?: unknown }[]).map((i) => ({
        field: String(i.field ?? i.path ?? ''),
        message: String(i.message ?? ''),
      }));
      return { code: 'invalid', message, ...(issues[0]?.field ? { field: issues[0].field } : {}), issues };
    }
    const code = typeof e.code === 'string' ? fromServiceCode(e.code) : INVALID_ERRORS.has(String(e.name)) ? 'invalid' : guessCode(message);
    return { code, message, ...(typeof e.field === 'string' ? { field: e.field } : {}) };
  }
  return { code: 'internal', message: String(err) };
}

const CODES = new Set(['invalid', 'not_found', 'unsupported', 'forbidden', 'conflict', 'internal']);
/** Errors the engine throws about the user's input (a bad dataset file, an impossible network). */
const INVALID_ERRORS = new Set(['DatasetError', 'NetworkError', 'SpecError', 'TicketOperationError', 'FigureOptionError']);
/** StoreError codes ('not-found', 'path', 'corrupt', ...) and our own. */
function fromServiceCode(c: string): ApiError['code'] {
  if (CODES.has(c)) return c as ApiError['code'];
  if (c === 'not-found') return 'not_found';
  if (c === 'conflict') return 'conflict';
  if (['invalid', 'path', 'corrupt', 'ticket-folder', 'schema-too-new'].includes(c)) return 'invalid';
  return 'internal';
}
/** The request field to blame when a service rejects input without naming one. */
const BLAME: Partial<Record<Channel, string>> = {
  'datasets.import': 'folder',
  'tickets.export': 'folder',
  'tickets.import': 'folder',
  'tickets.retrain': 'datasetId',
};
function guessCode(message: string): ApiError['code'] {
  if (/not found|no such|unknown (experiment|ticket|dataset)/i.test(message)) return 'not_found';
  return 'internal';
}

export interface Dispatcher {
  (channel: unknown, payload: unknown): Promise<ApiResult<unknown>>;
}

export function createDispatcher(services: LabServices, host?: Partial<HostHandlers>): Dispatcher {
  return async (channel, payload) => {
    if (!isChannel(channel)) {
      // Never String(channel): an object from JSON such as {"toString": 1} makes that throw.
      const name = typeof channel === 'string' ? JSON.stringify(channel.slice(0, 100)) : `of type ${channel === null ? 'null' : typeof channel}`;
      return { ok: false, error: { code: 'invalid', message: `unknown channel ${name}`, field: 'channel' } };
    }
    const parsed = requestSchemas[channel].safeParse(payload ?? {});
    if (!parsed.success) return { ok: false, error: zodToApiError(parsed.error) };
    try {
      if (channel === 'host.pickFolder') {
        const h = host?.[channel];
        if (!h) return { ok: false, error: { code: 'unsupported', message: 'a native folder picker exists only in the desktop app; type a path on the serving machine' } };
        return { ok: true, data: await h(parsed.data as ApiParsed<'host.pickFolder'>) };
      }
      const handler = serviceHandlers[channel] as Handler<ServiceChannel>;
      const data = await handler(services, parsed.data as never);
      return { ok: true, data: data === undefined ? null : data };
    } catch (err) {
      const error = toApiError(err);
      const blame = BLAME[channel];
      if (error.code === 'invalid' && !error.field && blame) error.field = blame;
      return { ok: false, error };
    }
  };
}
