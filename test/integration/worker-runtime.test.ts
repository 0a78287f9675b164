/**
 * The worker runtime in this process over the emulators: its lifecycle states in order, and a
 * status read that changes nothing — reading it never recycles a process, however much memory
 * the process holds (recycling for memory belongs to the heartbeat).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EventPublisher,
  createEventTransport,
  createLogger,
  loadWorkerConfig,
  type WorkerConfig,
} from '@warden/core';
import { SAMPLES_DIR } from '@warden/workflows';
import { WorkerMetrics, WorkerRuntime, loadWorkflowCatalog, readMemory } from '@warden/worker';
import { startTestStack, type TestStack } from '../support/stack.js';
import { submit, waitForTerminal } from '../support/worker-process.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => stack?.stop());

async function runtime(workerId: string, env: Record<string, string>) {
  const config: WorkerConfig = loadWorkerConfig({
    ...stack.env,
    WARDEN_QUEUE_URL: stack.queueUrl,
    WARDEN_DLQ_URL: stack.deadLetterQueueUrl,
    WORKER_POLL_WAIT_SECONDS: '1',
    WORKER_SHUTDOWN_DEADLINE_SECONDS: '10',
    // No heartbeat during the test: only the status reads could touch a process.
    WORKER_HEARTBEAT_INTERVAL_SECONDS: '300',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const logger = createLogger('worker', 'silent');
  return new WorkerRuntime({
    config,
    workerId,
    catalog: await loadWorkflowCatalog(SAMPLES_DIR),
    sqs: stack.clients.sqs,
    repos: stack.repos,
    publisher: new EventPublisher(createEventTransport(config, stack.repos.connections), logger),
    metrics: new WorkerMetrics('thread', workerId, () => {}),
    logger,
  });
}

describe('the worker runtime', () => {
  it('goes CREATED → ONLINE → OFFLINE, starts once, and reports its status without side effects', async () => {
    // A memory limit every pool process is over once it has run something.
    const worker = await runtime('runtime-1', {
      USE_THREAD_WORKERS: 'true',
      WORKER_THREAD_POOL_SIZE: '1',
      WORKER_MAX_PROCESS_MEMORY_MB: '64',
    });
    const created = worker.getStatus();
    expect(created).toMatchObject({ state: 'CREATED', inFlight: 0, processes: [] });
    expect(await stack.repos.workers.get('runtime-1')).toBeUndefined();

    await worker.start();
    expect(worker.getStatus().state).toBe('ONLINE');
    expect(await stack.repos.workers.get('runtime-1')).toMatchObject({ status: 'ONLINE' });
    await expect(worker.start()).rejects.toThrow(/ONLINE; it starts once/);

    const executionId = await submit(stack, 'sdk-io', { input: { holdMs: 0 } });
    expect((await waitForTerminal(stack, executionId)).status).toBe('SUCCESS');
    const [pool] = worker.getStatus().processes;
    expect(pool).toMatchObject({ state: 'ACTIVE', jobsProcessed: 1 });
    // The recycling rule compares resident memory with the limit.
    expect(readMemory(pool!.pid)!.rssMb).toBeGreaterThan(64);
    // Reading again and again leaves the process as it was.
    for (let i = 0; i < 3; i++) {
      expect(worker.getStatus().processes).toMatchObject([
        { pid: pool!.pid, state: 'ACTIVE', generation: pool!.generation },
      ]);
      expect(worker.executor.snapshot()).toMatchObject([{ pid: pool!.pid, state: 'ACTIVE' }]);
    }

    await worker.shutdown('test');
    expect(worker.getStatus()).toMatchObject({ state: 'OFFLINE', processes: [] });
    expect(await stack.repos.workers.get('runtime-1')).toMatchObject({ status: 'OFFLINE' });
  });
});
