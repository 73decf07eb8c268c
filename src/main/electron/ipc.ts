import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import { IPC_EVENT, IPC_INVOKE } from '../../shared/api/channels';
import type { ApiResult } from '../../shared/api/contract';
import type { LabServices } from '../services/types';
import { createDispatcher, type HostHandlers } from '../server/dispatch';
import { isTrustedUrl } from './security';

/**
 * One IPC channel for every API call: the sender frame is checked, then the shared dispatcher
 * validates the payload against the contract and calls LabServices.
 */
export function registerIpc(
  services: LabServices,
  host: HostHandlers,
  origins: Set<string>,
  windows: () => BrowserWindow[],
): () => void {
  const dispatch = createDispatcher(services, host);
  ipcMain.handle(IPC_INVOKE, async (event: IpcMainInvokeEvent, channel: unknown, payload: unknown): Promise<ApiResult<unknown>> => {
    const frame = event.senderFrame;
    // Only our own top-level page: not a subframe, not a page that somehow navigated elsewhere.
    if (!frame || frame.parent !== null || !isTrustedUrl(frame.url, origins)) {
      return { ok: false, error: { code: 'forbidden', message: 'request from an untrusted frame refused' } };
    }
    return dispatch(channel, payload);
  });
  const unsubscribe = services.subscribe((event) => {
    for (const w of windows()) if (!w.isDestroyed()) w.webContents.send(IPC_EVENT, event);
  });
  return () => {
    ipcMain.removeHandler(IPC_INVOKE);
    unsubscribe();
  };
}
