import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Training tests saturate a core each; two files at once keep a 2-core machine honest.
    maxWorkers: 2,
    pool: 'forks',
  },
});
