/**
 * A worker's record shows it ONLINE only with its catalog: no heartbeat is written before the
 * worker has registered. A heartbeat that lands first creates a record that says ONLINE with no
 * mode and no workflows, which the API then reports (and submissions are refused as if no worker
 * were registered). The backend is real (embedded emulators); registration is held back until the
 * worker has had every chance to heartbeat, the way a slow first write to DynamoDB holds it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EventPublisher,
  createLogger,
  loadWorkerConfig,
  nullTransport,
  type WorkerRecord,
} from '@warden/core';
import { SAMPLES_DIR } from '@warden/workflows';
import { WorkerMetrics, loadWorkflowCatalog } from '@warden/worker';
import { WorkerRuntime } from '@warden/worker/worker';
import { startTestStack, type TestStack } from '../support/stack.js';
import { FAST_WORKER_ENV } from '../support/worker-process.js';
import { waitFor } from '../support/wait.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack.stop();
});

describe('worker registration', () => {
  it('writes no heartbeat before the worker has registered its catalog', async () => {
    const config = loadWorkerConfig({
      ...stack.env,
      ...FAST_WORKER_ENV,
      WORKER_HEARTBEAT_INTERVAL_SECONDS: '0.5',
      USE_THREAD_WORKERS: 'true',
      LOG_LEVEL: 'silent',
    });
    const writes: string[] = [];
    const workers = stack.repos.workers;
    const register = workers.register.bind(workers);
    const heartbeat = workers.heartbeat.bind(workers);
    let releaseRegister!: () => void;
    const registerHeld = new Promise<void>((resolve) => (releaseRegister = resolve));
    const repos = {
      ...stack.repos,
      workers: Object.assign(Object.create(workers) as typeof workers, {
        async register(record: Omit<WorkerRecord, 'expiresAt'>) {
          await registerHeld;
          writes.push('register');
          return register(record);
        },
        async heartbeat(...args: Parameters<typeof workers.heartbeat>) {
          writes.push('heartbeat');
          // A heartbeat is the worker's own signal that registration may go ahead.
          releaseRegister();
          return heartbeat(...args);
        },
      }),
    };
    const runtime = new WorkerRuntime({
      config,
      workerId: 'registering-1',
      catalog: await loadWorkflowCatalog(SAMPLES_DIR),
      sqs: stack.clients.sqs,
      repos,
      publisher: new EventPublisher(nullTransport),
      metrics: new WorkerMetrics('thread', 'registering-1', () => {}),
      logger: createLogger('worker', 'silent'),
    });
    const started = runtime.start();
    // Held until a heartbeat is attempted or two heartbeat intervals have passed.
    await Promise.race([
      registerHeld,
      new Promise((resolve) => setTimeout(resolve, 2 * config.heartbeatIntervalMs)),
    ]);
    releaseRegister();
    await started;
    try {
      await waitFor('a heartbeat after registration', () => writes.includes('heartbeat'));
      expect(writes[0]).toBe('register');
      const record = await stack.repos.workers.get('registering-1');
      expect(record).toMatchObject({ mode: 'thread', status: 'ONLINE' });
      expect(record?.workflows?.length).toBeGreaterThan(0);
    } finally {
      await runtime.shutdown('test over');
    }
  }, 60_000);
});
