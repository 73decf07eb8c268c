import { defineConfig } from 'vitest/config';
import vue from '@vitejs/plugin-vue';

/**
 * The renderer's component tests need the Vue SFC plugin:
 * npx vitest run --config test/renderer/vitest.config.ts
 * (Each test file picks happy-dom with a `// @vitest-environment happy-dom` comment.)
 */
export default defineConfig({
  root: `${__dirname}/../..`,
  plugins: [vue()],
  test: { include: ['test/renderer/**/*.test.ts'], environment: 'node', testTimeout: 30_000 },
});
