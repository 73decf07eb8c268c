import type { ApiError, ApiRequest, ApiResponse, ApiResult, Channel, LabEvent } from '../../../shared/api/contract';
import type { WireMessage } from '../../../shared/api/wire';
import { WS_PATH } from '../../../shared/api/wire';

/**
 * The renderer's only way to main. Inside Electron it uses the preload's window.lth; in a
 * browser it speaks the same contract over the server's WebSocket with the page's token.
 * Nothing else in the renderer knows which.
 */
export class ApiCallError extends Error implements ApiError {
  readonly code: ApiError['code'];
  readonly field?: string;
  readonly issues?: { field: string; message: string }[];
  constructor(e: ApiError) {
    super(e.message);
    this.name = 'ApiCallError';
    this.code = e.code;
    if (e.field !== undefined) this.field = e.field;
    if (e.issues !== undefined) this.issues = e.issues;
  }
}

export type Transport = 'electron' | 'browser' | 'test';

export interface LabClient {
  readonly transport: Transport;
  call<C extends Channel>(channel: C, payload: ApiRequest<C>): Promise<ApiResponse<C>>;
  onEvent(listener: (event: LabEvent) => void): () => void;
  /** Connection state for the status bar; always true over IPC. */
  connected(): boolean;
  onConnection(listener: (up: boolean) => void): () => void;
}

type RawInvoke = (channel: Channel, payload: unknown) => Promise<ApiResult<unknown>>;

function unwrap<T>(r: ApiResult<unknown>): T {
  if (!r.ok) throw new ApiCallError(r.error);
  return r.data as T;
}

/** A client over any raw invoke function: used by both transports and by the component tests. */
export function clientFrom(transport: Transport, invoke: RawInvoke, subscribe: (l: (e: LabEvent) => void) => () => void): LabClient {
  return {
    transport,
    call: async (channel, payload) => unwrap(await invoke(channel, payload)),
    onEvent: subscribe,
    connected: () => true,
    onConnection: () => () => undefined,
  };
}

function electronClient(): LabClient {
  const lth = window.lth!;
  return clientFrom('electron', (c, p) => lth.invoke(c, p), (l) => lth.onEvent(l));
}

/** One socket, requests matched by id, reconnects with backoff; calls made while down wait for it. */
function browserClient(): LabClient {
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${WS_PATH}?token=${encodeURIComponent(token)}`;
  const pending = new Map<number, { resolve: (r: ApiResult<unknown>) => void; frame: string; sent: boolean }>();
  const listeners = new Set<(e: LabEvent) => void>();
  const connListeners = new Set<(up: boolean) => void>();
  let nextId = 1;
  let ws: WebSocket | null = null;
  let up = false;
  let backoff = 250;

  const setUp = (v: boolean) => {
    up = v;
    connListeners.forEach((l) => l(v));
  };
  const connect = () => {
    ws = new WebSocket(url);
    ws.onopen = () => {
      backoff = 250;
      setUp(true);
      for (const p of pending.values()) {
        ws!.send(p.frame);
        p.sent = true;
      }
    };
    ws.onmessage = (m) => {
      const msg = JSON.parse(String(m.data)) as WireMessage;
      if (msg.kind === 'event') listeners.forEach((l) => l(msg.event));
      else {
        pending.get(msg.id)?.resolve(msg.result);
        pending.delete(msg.id);
      }
    };
    ws.onclose = () => {
      setUp(false);
      ws = null;
      // A request already sent may or may not have run: fail it rather than repeat a write.
      for (const [id, p] of pending) {
        if (!p.sent) continue;
        pending.delete(id);
        p.resolve({ ok: false, error: { code: 'internal', message: 'connection to the lab was lost; try again' } });
      }
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 5000);
    };
  };
  connect();

  return {
    transport: 'browser',
    call: (channel, payload) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        const frame = JSON.stringify({ id, channel, payload });
        const entry = {
          frame,
          sent: false,
          resolve: (r: ApiResult<unknown>) => {
            try {
              resolve(unwrap(r));
            } catch (e) {
              reject(e);
            }
          },
        };
        pending.set(id, entry);
        if (up && ws) {
          ws.send(frame);
          entry.sent = true;
        }
      }),
    onEvent: (l) => {
      listeners.add(l);
      return () => void listeners.delete(l);
    },
    connected: () => up,
    onConnection: (l) => {
      connListeners.add(l);
      return () => void connListeners.delete(l);
    },
  };
}

let current: LabClient | null = null;

export function api(): LabClient {
  current ??= typeof window !== 'undefined' && window.lth ? electronClient() : browserClient();
  return current;
}

/** Component tests install a client over the real dispatcher and fake services. */
export function setClient(client: LabClient | null): void {
  current = client;
}
