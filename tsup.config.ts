import { defineConfig } from 'tsup';

// The headless entry points (the `lth` CLI and the training worker process) run on plain Node.
// Dependencies stay external: native modules (better-sqlite3, tfjs-node) and .wasm files load from node_modules.
export default defineConfig({
  entry: { cli: 'src/main/cli/index.ts', worker: 'src/main/worker/entry.ts' },
  outDir: 'dist',
  format: ['cjs'],
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  clean: true,
  splitting: false,
  skipNodeModulesBundle: true,
  shims: true,
});
