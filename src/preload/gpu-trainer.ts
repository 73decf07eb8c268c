import { ipcRenderer } from 'electron';

/**
 * Preload of the hidden WebGPU trainer window: passes the one MessagePort main sends to the page (which hands
 * it to its Web Worker). Exposes nothing else; the page has no API into main.
 */
const page = globalThis as unknown as { postMessage(message: unknown, targetOrigin: string, transfer: unknown[]): void; location: { origin: string } };
ipcRenderer.once('lth-trainer-port', (event) => {
  page.postMessage('lth-trainer-port', page.location.origin, [...event.ports]);
});
