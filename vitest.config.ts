import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Generous: several suites train a model or start CLI processes, and CI machines are shared;
    // a hung test still fails, just later.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // Integration suites share NATS streams, Redis keys and Postgres tables by prefix; files run
    // in parallel but each uses its own prefix.
    fileParallelism: true,
    maxWorkers: 2,
    // `npm test` runs test/decision/kill-switch.test.ts on its own afterwards: it measures the
    // halt reply time, which other suites on the same two cores would only make noise in.
  },
});
