import { defineConfig } from 'vitest/config';

// Units are fast and pure; e2e start real processes (and, as root, network namespaces),
// so they run one file at a time to fit a 2-core machine.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/**/*.test.ts'], testTimeout: 10_000 } },
      {
        test: {
          name: 'e2e',
          include: ['e2e/**/*.test.ts'],
          // Says up front what the isolated runtime lacks here; tests that need it are skipped by name.
          globalSetup: ['e2e/support/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
