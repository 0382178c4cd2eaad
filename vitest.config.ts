import { defineConfig } from 'vitest/config';
import { nudgeThreadPool } from './packages/testkit/src/threadpool-nudge.js';

// The main process reads and transforms every file through the same thread pool as the workers.
nudgeThreadPool();

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Every worker too: a lost thread-pool wake-up of Debian 12's glibc (see threadpool-nudge.ts).
    setupFiles: ['packages/testkit/src/vitest-setup.ts'],
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: 'output/test-results.json' }]]
      : ['default'],
  },
});
