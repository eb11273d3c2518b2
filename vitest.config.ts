import { defineConfig } from 'vitest/config';

// eslint-disable-next-line import/no-default-export -- vitest loads the default export
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['node_modules/**'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
