import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Vue single-file components in the renderer's component tests (they pick happy-dom per file).
  plugins: [vue()],
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // End-to-end tests train real networks on real MNIST; on a loaded 2-core CI machine that takes minutes.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // Training tests saturate a core each; two files at once keep a 2-core machine honest.
    maxWorkers: 2,
    pool: 'forks',
    // expect.poll waits 1 s by default: too short for a server round-trip and a Chromium render under load.
    expect: { poll: { timeout: 15_000 } },
  },
});
