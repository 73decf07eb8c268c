import { describe, expect, expectTypeOf, it } from 'vitest';
import { CHANNELS, SERVICE_CHANNELS, type Channel, type ServiceChannel } from '../../src/shared/api/channels';
import { requestSchemas, type ApiParsed, type ApiResponse } from '../../src/shared/api/contract';
import { createDispatcher, serviceHandlers } from '../../src/main/server/dispatch';
import type { LabServices } from '../../src/main/services/types';
import { fakeServices } from './fake-services';

/**
 * Compile-time drift checks: `npm run typecheck` (tsc over test/**) fails when LabServices gains,
 * loses or changes a method without the contract following, or the other way round.
 */
type Fn = (...args: never[]) => unknown;
type ServicePaths<S> = {
  [K in keyof S & string]: S[K] extends Fn ? K : `${K}.${keyof S[K] & string}`;
}[keyof S & string];
type MethodAt<S, P extends string> = P extends `${infer A}.${infer B}`
  ? A extends keyof S
    ? B extends keyof S[A]
      ? S[A][B]
      : never
    : never
  : P extends keyof S
    ? S[P]
    : never;
type ReturnOf<S, P extends string> = MethodAt<S, P> extends (...args: never[]) => infer R ? Awaited<R> : never;
type ResponsesMatch = { [C in ServiceChannel]: ApiResponse<C> extends ReturnOf<LabServices, C> ? (ReturnOf<LabServices, C> extends ApiResponse<C> ? true : C) : C };

describe('API contract', () => {
  it('has one channel per LabServices method (subscribe is the event stream)', () => {
    expectTypeOf<ServiceChannel>().toEqualTypeOf<Exclude<ServicePaths<LabServices>, 'subscribe'>>();
    expectTypeOf<keyof typeof requestSchemas>().toEqualTypeOf<Channel>();
    expect(Object.keys(requestSchemas).sort()).toEqual([...CHANNELS].sort());
    expect(Object.keys(serviceHandlers).sort()).toEqual([...SERVICE_CHANNELS].sort());
  });

  it('declares the response type each LabServices method returns', () => {
    expectTypeOf<ResponsesMatch[ServiceChannel]>().toEqualTypeOf<true>();
  });

  it('hands each handler what the schema parsed', () => {
    expectTypeOf<ApiParsed<'tickets.save'>>().toExtend<{ experimentId: string; trial: number; round: number }>();
    expectTypeOf<ApiParsed<'experiments.create'>>().toExtend<Parameters<LabServices['experiments']['create']>[0]>();
  });

  it('validates payloads and names the offending field', async () => {
    const dispatch = createDispatcher(fakeServices());
    const bad = await dispatch('experiments.create', {
      dataset: 'mnist',
      network: { dense: [300, 100] },
      training: { learningRate: 0.0012, batchSize: 60, iterations: 0 },
      pruning: { rates: { conv: 0.1, dense: 0.2, output: 0.1 }, rounds: 2 },
    });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.error.code).toBe('invalid');
      expect(bad.error.field).toBe('training.iterations');
    }
    const unknown = await dispatch('fs.readFile', {});
    expect(unknown).toMatchObject({ ok: false, error: { code: 'invalid', field: 'channel' } });
    const extra = await dispatch('datasets.get', { id: 'mnist', evil: true });
    expect(extra.ok).toBe(false);
  });

  it('maps a spec with defaults to experiments.create and returns the summary', async () => {
    const services = fakeServices();
    const dispatch = createDispatcher(services);
    const res = await dispatch('experiments.create', {
      dataset: 'mnist',
      network: { dense: [300, 100] },
      training: { learningRate: 0.0012, batchSize: 60, iterations: 200 },
      pruning: { rates: { conv: 0.1, dense: 0.2, output: 0.1 }, rounds: 2 },
      controls: ['reinit'],
    });
    expect(res).toMatchObject({ ok: true, data: { id: 'e1', datasetId: 'mnist' } });
    expect(services.calls.at(-1)).toMatchObject({ method: 'experiments.create', args: [{ trials: 1, seed: 0, training: { evalInterval: 100 } }] });
  });

  it('turns thrown errors into {code, message} and refuses host calls without a host', async () => {
    const dispatch = createDispatcher(fakeServices());
    expect(await dispatch('tickets.get', { id: 'nope' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await dispatch('host.pickFolder', {})).toMatchObject({ ok: false, error: { code: 'unsupported' } });
    const withHost = createDispatcher(fakeServices(), { 'host.pickFolder': async () => '/tmp/x' });
    expect(await withHost('host.pickFolder', {})).toEqual({ ok: true, data: '/tmp/x' });
    expect(await dispatch('experiments.cancel', { id: 'e1' })).toEqual({ ok: true, data: null });
  });
});

describe('service errors on the wire', () => {
  it('maps store codes and engine input errors, blaming the request field', async () => {
    const { toApiError } = await import('../../src/main/server/dispatch');
    const storeErr = Object.assign(new Error('ticket t9 not found'), { name: 'StoreError', code: 'not-found' });
    expect(toApiError(storeErr)).toEqual({ code: 'not_found', message: 'ticket t9 not found' });
    const services = fakeServices();
    services.datasets.import = async () => {
      throw Object.assign(new Error('train-images-idx3-ubyte: magic number 0x00000000, expected 0x00000803'), { name: 'DatasetError' });
    };
    const res = await createDispatcher(services)('datasets.import', { kind: 'idx', folder: '/tmp/x' });
    expect(res).toMatchObject({ ok: false, error: { code: 'invalid', field: 'folder' } });
  });
});

describe('exports.figures', () => {
  const base = { experimentIds: ['e1'], figure: 'accuracy', formats: ['svg', 'pdf', 'png', 'csv', 'tex'], widthInches: 3.5, folder: '/tmp/figs' };

  it('hands the service the parsed request: width and rounds as on the command line, formats deduplicated', async () => {
    const services = fakeServices();
    const dispatch = createDispatcher(services);
    const res = await dispatch('exports.figures', { ...base, formats: ['svg', 'svg', 'png'], widthInches: 'double', rounds: '0-2' });
    expect(res).toEqual({ ok: true, data: { files: ['/tmp/figs/accuracy.svg', '/tmp/figs/accuracy.png'] } });
    expect(services.calls.at(-1)).toEqual({ method: 'exports.figures', args: [{ ...base, formats: ['svg', 'png'], widthInches: 7, rounds: [0, 1, 2] }] });
    expectTypeOf<ApiParsed<'exports.figures'>>().toExtend<Parameters<LabServices['exports']['figures']>[0]>();
  });

  it.each([
    [{ folder: 'figs/out' }, 'folder', /absolute path/],
    [{ folder: '' }, 'folder', /.+/],
    [{ widthInches: 35 }, 'widthInches', /between 1in and 12in/],
    [{ widthInches: 'wide' }, 'widthInches', /invalid width "wide"/],
    [{ formats: [] }, 'formats', /at least one format/],
    [{ formats: ['jpg'] }, 'formats.0', /.+/],
    [{ figure: 'pie' }, 'figure', /.+/],
    [{ rounds: '3-1' }, 'rounds', /end is before the start/],
    [{ figure: 'mask', experimentIds: [], formats: ['svg'] }, 'ticketId', /ticket/],
    [{ experimentIds: [] }, 'experimentIds', /at least one experiment/],
  ])('refuses %j naming the field', async (patch, field, message) => {
    const services = fakeServices();
    const res = await createDispatcher(services)('exports.figures', { ...base, ...patch });
    expect(res.ok).toBe(false);
    if (!res.ok) {
      expect(res.error.code).toBe('invalid');
      expect(res.error.issues?.map((i) => i.field)).toContain(field);
      expect(res.error.issues?.find((i) => i.field === field)?.message).toMatch(message);
    }
    expect(services.calls.map((c) => c.method)).not.toContain('exports.figures');
  });

  it('accepts Windows paths for a Windows server, and a figure with a ticket only for the mask', async () => {
    const dispatch = createDispatcher(fakeServices());
    expect((await dispatch('exports.figures', { ...base, folder: 'C:\\figs' })).ok).toBe(true);
    expect((await dispatch('exports.figures', { ...base, experimentIds: [], figure: 'mask', ticketId: 't1', formats: ['svg', 'png'] })).ok).toBe(true);
  });
});
