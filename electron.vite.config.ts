import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import vue from '@vitejs/plugin-vue';

/**
 * out/main/index.js (Electron main) and out/main/worker.js (the training utility process, the same
 * entry tsup bundles to dist/worker.js), out/preload/index.js (sandboxed: one CommonJS file),
 * out/renderer (the Vue lab, also what `lth serve` serves).
 */
export default defineConfig({
  main: {
    build: {
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src/main/electron/main.ts'),
          worker: resolve(__dirname, 'src/main/worker/entry.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      rollupOptions: { input: { index: resolve(__dirname, 'src/preload/index.ts'), 'gpu-trainer': resolve(__dirname, 'src/preload/gpu-trainer.ts') } },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    base: './',
    plugins: [vue()],
    build: {
      // Everything ships with the app: no CDN, and inlined assets would need data: in script/style CSP.
      assetsInlineLimit: 0,
      // gpu-trainer.html: the hidden window whose Web Worker trains on WebGPU (src/main/electron/gpu-window.ts).
      rollupOptions: { input: { index: resolve(__dirname, 'src/renderer/index.html'), 'gpu-trainer': resolve(__dirname, 'src/renderer/gpu-trainer.html') } },
    },
    // The trainer worker is a module worker (it imports tfjs as ES modules).
    worker: { format: 'es' },
  },
});
