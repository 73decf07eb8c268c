import type { ApiResult, LabEvent } from './contract';

/** WebSocket frames of browser mode. Electron IPC carries the same ApiResult and LabEvent values. */
export interface WireRequest {
  id: number;
  channel: string;
  payload: unknown;
}

export type WireMessage =
  | { kind: 'result'; id: number; result: ApiResult<unknown> }
  | { kind: 'event'; event: LabEvent };

export const WS_PATH = '/api/ws';
export const HTTP_API_PREFIX = '/api/call/';
