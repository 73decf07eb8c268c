import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC_EVENT, IPC_INVOKE, isChannel } from '../shared/api/channels';
import type { LthBridge } from '../shared/api/bridge';

/**
 * Exposes exactly the API contract: invoke a named channel, subscribe to LabEvents. Never
 * ipcRenderer itself, and only the channels the contract lists.
 */
const bridge: LthBridge = {
  invoke: (channel, payload) => {
    if (!isChannel(channel)) return Promise.resolve({ ok: false, error: { code: 'invalid', message: `unknown channel ${String(channel)}`, field: 'channel' } });
    return ipcRenderer.invoke(IPC_INVOKE, channel, payload);
  },
  onEvent: (listener) => {
    const wrapped = (_e: IpcRendererEvent, event: Parameters<typeof listener>[0]) => listener(event);
    ipcRenderer.on(IPC_EVENT, wrapped);
    return () => void ipcRenderer.removeListener(IPC_EVENT, wrapped);
  },
  transport: 'electron',
};

contextBridge.exposeInMainWorld('lth', bridge);
