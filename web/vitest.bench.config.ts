import { defineConfig } from 'vitest/config';

// Browser benchmarks: each file starts its own server and Chromium and prints its
// figures. Serial, one worker, so two never share the machine's cores.
export default defineConfig({
  test: {
    include: ['bench/**/*.bench.ts'],
    environment: 'node',
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 300_000,
    hookTimeout: 120_000,
    sequence: { concurrent: false },
  },
});
