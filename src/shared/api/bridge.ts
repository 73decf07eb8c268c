import type { ApiResult, LabEvent } from './contract';
import type { Channel } from './channels';

/** What the preload puts on window.lth: the contract and nothing else. */
export interface LthBridge {
  invoke(channel: Channel, payload: unknown): Promise<ApiResult<unknown>>;
  onEvent(listener: (event: LabEvent) => void): () => void;
  transport: 'electron';
}
