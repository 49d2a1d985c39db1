import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**', 'dist-bench/**', 'scratch/**'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // Two cores: run test files two at a time.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    pool: 'forks',
  },
});
