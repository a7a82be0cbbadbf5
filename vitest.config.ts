import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration suites share NATS streams, Redis keys and Postgres tables by prefix; files run
    // in parallel but each uses its own prefix.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
