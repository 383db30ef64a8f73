import { defineConfig } from 'vitest/config';

// Browser tests: each file starts its own server and Chromium. Serial, one worker.
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.ts'],
    environment: 'node',
    fileParallelism: false,
    maxWorkers: 1,
    // The longest tests (the week view, forwarding) take about 55 s on 2 loaded cores.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    sequence: { concurrent: false },
  },
});
