import { defineConfig } from 'vitest/config';

// One `npm test` runs every project. Tests run against the built packages (npm test builds
// first), the same code the worker forks and the Lambdas bundle.
export default defineConfig({
  test: {
    maxWorkers: 2,
    projects: [
      // Vue component and store tests (happy-dom), configured beside the app.
      'admin-ui/vitest.config.ts',
      {
        test: {
          name: 'unit',
          include: ['services/*/test/**/*.test.ts'],
          environment: 'node',
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'infra',
          include: ['infra/test/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          environment: 'node',
          testTimeout: 600_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        // Builds the worker image with podman and runs it against `npm start` (root, podman,
        // runc and debootstrap needed; .ci/run installs them). The first run builds and caches a
        // stand-in Node 24 base image.
        test: {
          name: 'container',
          include: ['test/container/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 1_500_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
