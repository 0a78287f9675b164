/**
 * The control plane with a real worker (`services/worker/dist/main.js`, thread mode) over real
 * HTTP and WebSocket: live heartbeats, a recycle through the API, five real stuck executions of
 * a `while(true){}` workflow tripping the circuit breaker, the blacklist refused at the API and
 * at the worker, and stopping a silent worker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  ExecutionResponse,
  RecycleResponse,
  WorkerDetailResponse,
  WorkersResponse,
} from '@warden/core';
import { startTestStack, type TestStack } from '../support/stack.js';
import {
  startControlPlane,
  type EventListener,
  type TestControlPlane,
} from '../support/control-plane.js';
import {
  killAllWorkers,
  newExecutionId,
  sendMessage,
  startWorker,
  waitForTerminal,
  type WorkerProcess,
} from '../support/worker-process.js';
import { waitFor } from '../support/wait.js';

const HEARTBEAT_MS = 1000;

let stack: TestStack;
let cp: TestControlPlane;
let worker: WorkerProcess;
let client: EventListener;

beforeAll(async () => {
  stack = await startTestStack();
  cp = await startControlPlane(stack, { env: { WORKER_SILENT_AFTER_SECONDS: '2' } });
  worker = startWorker(stack, {
    mode: 'thread',
    env: {
      WARDEN_EVENTS_ENDPOINT: cp.eventsEndpoint,
      WORKER_HEARTBEAT_INTERVAL_SECONDS: String(HEARTBEAT_MS / 1000),
      CANCEL_GRACE_SECONDS: '1',
      // One spin at a time: five busy loops on a two-core machine would starve everything else
      // (this test process included) and measure the machine, not the push latency.
      WORKER_THREAD_POOL_SIZE: '1',
    },
  });
  await worker.online();
  client = await cp.listen();
}, 60_000);
afterAll(async () => {
  await killAllWorkers();
  await cp?.stop();
  await stack?.stop();
});

async function activeProcess() {
  const { body } = await cp.api<WorkerDetailResponse>(
    'GET',
    `/api/platform/workers/${worker.workerId}`,
  );
  return body.worker.processes.find((p) => p.state === 'ACTIVE');
}

describe('live events from a real worker', () => {
  it('delivers worker_heartbeat within one heartbeat interval', async () => {
    const since = Date.now();
    const event = await client.next(
      'worker_heartbeat',
      (e) => e.workerId === worker.workerId && Date.parse(e.at) >= since,
      HEARTBEAT_MS * 2,
    );
    const waited = event.receivedAt - since;
    console.log(
      `worker_heartbeat arrived ${waited} ms after connecting (interval ${HEARTBEAT_MS} ms)`,
    );
    // Within one interval, plus the time the push itself takes (generous on a loaded machine).
    expect(waited).toBeLessThanOrEqual(HEARTBEAT_MS + 1000);
    expect(event.processes.length).toBeGreaterThan(0);
  });

  it('lists the worker online with its catalog, over the API', async () => {
    const { body } = await cp.api<WorkersResponse>('GET', '/api/platform/workers');
    const listed = body.workers.find((w) => w.workerId === worker.workerId);
    expect(listed).toMatchObject({ health: 'online', mode: 'thread', mainPid: worker.pid });
    expect(listed?.workflows.map((w) => w.id)).toContain('cpu-spin');
  });

  it('recycles a process through the API and pushes process_state_changed', async () => {
    const process = await waitFor('an ACTIVE pool process', activeProcess);
    const response = await cp.api<RecycleResponse>(
      'POST',
      `/api/platform/workers/${worker.workerId}/processes/${process.pid}/recycle`,
      { body: { generation: process.generation } },
    );
    expect(response.status).toBe(202);
    expect(response.body.command.commandId).toBeTruthy();
    const changed = await client.next(
      'process_state_changed',
      (e) => e.pid === process.pid && e.generation === process.generation && e.from === 'ACTIVE',
    );
    expect(['PENDING_KILL', 'DRAINING', 'EXITING', null]).toContain(changed.to);
    const replacement = await waitFor('a replacement ACTIVE process', async () => {
      const active = await activeProcess();
      return active && active.pid !== process.pid ? active : undefined;
    });
    expect(replacement.generation).toBeGreaterThan(process.generation);

    // The old generation is gone: the same click again is refused as stale or unknown.
    const stale = await cp.api<RecycleResponse>(
      'POST',
      `/api/platform/workers/${worker.workerId}/processes/${process.pid}/recycle`,
      { body: { generation: process.generation } },
    );
    // The same click again never hits the replacement: the old process is gone (404), exiting
    // (409), or still draining, and the request maps onto the same command (202, not created).
    expect([202, 404, 409]).toContain(stale.status);
    if (stale.status === 202) expect(stale.body.created).toBe(false);
  });
});

describe('circuit breaker over real stuck executions', () => {
  it('blacklists cpu-spin after five real stuck executions, once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await cp.api<ExecutionResponse>('POST', '/api/executions', {
        body: { workflowId: 'cpu-spin', timeoutSeconds: 2, executionId: newExecutionId('spin') },
      });
      expect(response.status).toBe(202);
      ids.push(response.body.execution.executionId);
    }
    const records = await Promise.all(ids.map((id) => waitForTerminal(stack, id, 60_000)));
    for (const record of records) {
      expect(record).toMatchObject({ status: 'FAILED', errorType: 'ExecutionStuck' });
    }

    const stuckRecords = await waitFor('five stuck records', async () => {
      const rows = await stack.repos.stuck.listForWorkflow('cpu-spin', '');
      return rows.length >= 5 ? rows : undefined;
    });
    expect(stuckRecords.map((r) => r.executionId).sort()).toEqual([...ids].sort());

    const sweep = await cp.sweep();
    expect(sweep.tripped).toEqual([
      expect.objectContaining({ workflowId: 'cpu-spin', reason: 'auto:stuck:5', stuckCount: 5 }),
    ]);
    expect(sweep.tripped[0]!.blacklistedBy).toBeUndefined();
    expect(await client.next('workflow_blacklisted')).toMatchObject({
      entry: { workflowId: 'cpu-spin', reason: 'auto:stuck:5' },
    });
    expect((await cp.sweep()).tripped).toEqual([]);
    expect(
      (await stack.repos.blacklist.listActive()).filter((e) => e.workflowId === 'cpu-spin'),
    ).toHaveLength(1);

    // Each stuck record was pushed to the WebSocket client about a second after being written.
    const delays: number[] = [];
    for (const record of stuckRecords) {
      const event = await client.next(
        'execution_stuck',
        (e) => e.executionId === record.executionId,
      );
      delays.push(event.receivedAt - Date.parse(record.stuckAt));
    }
    console.log(`execution_stuck pushed ${delays.join(', ')} ms after each stuck record`);
    // The goal is one second; on a loaded two-core machine a single push can lag behind the
    // busy loops, so the typical (median) push is held to it and every push to a looser bound.
    const median = [...delays].sort((x, y) => x - y)[Math.floor(delays.length / 2)]!;
    expect(median).toBeLessThanOrEqual(1000);
    for (const delay of delays) expect(delay).toBeLessThanOrEqual(2500);
  });

  it('refuses the blacklisted workflow at the API, and at the worker when sent raw to SQS', async () => {
    const refused = await cp.api('POST', '/api/executions', {
      body: { workflowId: 'cpu-spin', executionId: 'api-refused' },
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error?.code).toBe('WORKFLOW_BLACKLISTED');
    expect(await stack.repos.executions.get('api-refused')).toBeUndefined();

    const executionId = newExecutionId('raw');
    await sendMessage(stack, { executionId, workflowId: 'cpu-spin', timeoutSeconds: 2 });
    const record = await waitForTerminal(stack, executionId, 20_000);
    expect(record).toMatchObject({ status: 'FAILED', errorType: 'WorkflowBlacklisted' });
  });
});

describe('stopping a silent worker', () => {
  it('signals the local worker the way ECS stops a task', async () => {
    // Freeze the worker: its heartbeats stop, as a hung container's would.
    process.kill(worker.pid, 'SIGSTOP');
    try {
      await waitFor(
        'the worker to be reported silent',
        async () => {
          const { body } = await cp.api<WorkersResponse>('GET', '/api/platform/workers');
          return body.workers.find((w) => w.workerId === worker.workerId)?.health === 'silent';
        },
        { timeoutMs: 15_000, intervalMs: 250 },
      );
      const response = await cp.api<{ target: string }>(
        'POST',
        `/api/platform/workers/${worker.workerId}/stop`,
      );
      expect(response.status).toBe(202);
      expect(response.body.target).toBe(`local process ${worker.pid}`);
    } finally {
      process.kill(worker.pid, 'SIGCONT');
    }
    // SIGTERM was delivered while frozen; thawed, the worker shuts down.
    const exit = await worker.exited;
    expect(exit.code === 0 || exit.signal === 'SIGTERM').toBe(true);
    const gone = await cp.api('POST', `/api/platform/workers/${worker.workerId}/stop`, {
      body: { force: true },
    });
    expect(gone.status).toBe(409);
  });
});
