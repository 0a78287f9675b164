import { defineConfig } from 'vitest/config';

// One `npm test` runs every project. Tests run against the built packages (npm test builds
// first), the same code the worker forks and the Lambdas bundle.
export default defineConfig({
  test: {
    maxWorkers: 2,
    // `npm test` measures the unit project (services/*/test) over the services' TypeScript
    // sources and fails below these floors, set just under what the code met when they were
    // added (README, "Tests"). Most behaviour is proven by the integration suites, which run the
    // built code in child processes that V8 coverage here does not see.
    coverage: {
      provider: 'v8',
      include: ['services/*/src/**/*.ts'],
      reporter: ['text-summary'],
      thresholds: { lines: 18, statements: 18, functions: 16, branches: 16 },
    },
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
