import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: tfjs training and socket tests fight for CPU, so keep parallelism modest.
    maxWorkers: 2,
  },
});
