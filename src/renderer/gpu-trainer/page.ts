/**
 * The hidden trainer window's page: it receives one MessagePort from main (through its preload) and hands it
 * to a dedicated Web Worker, where training runs on the browser's WebGPU. The page itself does nothing else.
 */
const PORT_MESSAGE = 'lth-trainer-port';

window.addEventListener('message', (event: MessageEvent) => {
  // Only our own preload (same window, same origin) delivers the port.
  if (event.source !== window || event.origin !== window.location.origin || event.data !== PORT_MESSAGE) return;
  const port = event.ports[0];
  if (!port) return;
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'LTH Lab WebGPU trainer' });
  worker.addEventListener('error', (e) => port.postMessage({ type: 'trainer-failed', message: `the trainer worker failed to start: ${e.message}` }));
  worker.postMessage({ type: 'port' }, [port]);
});
