/**
 * The admin HTTP API over real HTTP, against the DynamoDB and SQS emulators: every route's happy
 * path, 401 without (or with a bad) token, 403 for a valid token without the admin role, and 400
 * naming the field for bad input. Worker records are written through the repository here; the
 * tests with real workers are in control-plane-worker.test.ts.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EcsWorkerStopper } from '@warden/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ChangeMessageVisibilityCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import type {
  BlacklistResponse,
  ConfigResponse,
  ExecutionListResponse,
  ExecutionResponse,
  QueueStatusResponse,
  RecycleResponse,
  StuckHistoryResponse,
  WorkerDetailResponse,
  WorkersResponse,
  WorkflowsResponse,
} from '@warden/core';
import { startTestStack, type TestStack } from '../support/stack.js';
import {
  startControlPlane,
  workerRecord,
  type TestControlPlane,
} from '../support/control-plane.js';
import { waitFor } from '../support/wait.js';

let stack: TestStack;
let cp: TestControlPlane;

beforeAll(async () => {
  stack = await startTestStack();
  cp = await startControlPlane(stack, { env: { WORKER_SILENT_AFTER_SECONDS: '60' } });
  await stack.repos.workers.register(workerRecord('worker-a'));
  await stack.repos.workers.register(
    workerRecord('worker-b', {
      startedAt: new Date(Date.now() - 1000).toISOString(),
      workflows: [
        { id: 'echo', name: 'Echo (old build)', timeoutSeconds: 30 },
        { id: 'report', name: 'Monthly report', timeoutSeconds: 600 },
      ],
    }),
  );
  const longAgo = new Date(Date.now() - 10 * 60_000).toISOString();
  await stack.repos.workers.register(
    workerRecord('worker-silent', { lastHeartbeatAt: longAgo, startedAt: longAgo }),
  );
});
afterAll(async () => {
  await cp?.stop();
  await stack?.stop();
});

/** One request per route, used for the 401 / 403 sweep. */
const ROUTES: [string, string, unknown?][] = [
  ['GET', '/api/platform/workers'],
  ['GET', '/api/platform/workers/worker-a'],
  ['POST', '/api/platform/workers/worker-a/processes/4242/recycle', { generation: 3 }],
  ['POST', '/api/platform/workers/worker-silent/stop', {}],
  ['GET', '/api/platform/queue'],
  ['GET', '/api/platform/stuck-history?hours=24'],
  ['GET', '/api/platform/blacklist'],
  ['POST', '/api/platform/blacklist', { workflowId: 'echo', reason: 'x' }],
  ['DELETE', '/api/platform/blacklist/echo'],
  ['GET', '/api/platform/config'],
  ['PUT', '/api/platform/config', { stuck_circuit_breaker_threshold: 2 }],
  ['POST', '/api/executions', { workflowId: 'echo' }],
  ['GET', '/api/executions/some-id'],
  ['GET', '/api/executions'],
  ['GET', '/api/workflows'],
];

describe('authentication and roles', () => {
  it.each(ROUTES)(
    '%s %s answers 401 without a token and with a wrong one',
    async (method, path, body) => {
      const none = await cp.api(method, path, { body, token: null });
      expect(none.status).toBe(401);
      expect(none.body.error?.code).toBe('UNAUTHENTICATED');
      expect(none.body.error?.message).toMatch(/Authorization: Bearer/);
      expect(none.headers.get('www-authenticate')).toBe('Bearer');
      const wrong = await cp.api(method, path, { body, token: 'not-the-admin-token-at-all' });
      expect(wrong.status).toBe(401);
      expect(wrong.body.error?.code).toBe('UNAUTHENTICATED');
    },
  );

  it.each(ROUTES)(
    '%s %s answers 403 to a valid token without the admin role',
    async (method, path, body) => {
      const response = await cp.api(method, path, { body, token: cp.nonAdminToken });
      expect(response.status).toBe(403);
      expect(response.body.error?.code).toBe('FORBIDDEN');
      expect(response.body.error?.message).toMatch(/needs the (viewer or )?admin role/);
    },
  );

  it('changed nothing while refusing', async () => {
    expect(await stack.repos.blacklist.listActive()).toEqual([]);
    expect((await stack.repos.systemConfig.get()).updatedBy).toBeUndefined();
    expect(await stack.repos.commands.listPending('worker-a')).toEqual([]);
  });

  it('lets the admin app origin through CORS and no other origin', async () => {
    const allowed = await fetch(`${cp.apiUrl}/api/platform/workers`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'http://admin.test',
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'authorization',
      },
    });
    expect(allowed.status).toBeLessThan(300);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://admin.test');
    expect(allowed.headers.get('access-control-allow-headers')?.toLowerCase()).toContain(
      'authorization',
    );
    const other = await fetch(`${cp.apiUrl}/api/platform/workers`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://evil.test', 'Access-Control-Request-Method': 'GET' },
    });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers an unknown route with a JSON 404', async () => {
    const response = await cp.api('GET', '/api/platform/nope');
    expect(response.status).toBe(404);
    expect(response.body.error?.message).toMatch(/docs\/api\.md/);
  });
});

describe('workers', () => {
  it('lists workers with their online or silent status', async () => {
    const { status, body } = await cp.api<WorkersResponse>('GET', '/api/platform/workers');
    expect(status).toBe(200);
    const health = Object.fromEntries(body.workers.map((w) => [w.workerId, w.health]));
    expect(health).toEqual({
      'worker-a': 'online',
      'worker-b': 'online',
      'worker-silent': 'silent',
    });
    expect(body.silentAfterMs).toBe(60_000);
    const silent = body.workers.find((w) => w.workerId === 'worker-silent');
    expect(silent?.heartbeatAgeMs).toBeGreaterThan(9 * 60_000);
  });

  it('shows one worker with its processes, and 404 for an unknown one', async () => {
    const { status, body } = await cp.api<WorkerDetailResponse>(
      'GET',
      '/api/platform/workers/worker-a',
    );
    expect(status).toBe(200);
    expect(body.worker.processes[0]).toMatchObject({ pid: 4242, generation: 3, state: 'ACTIVE' });
    expect(body.pendingCommands).toEqual([]);
    const missing = await cp.api('GET', '/api/platform/workers/nobody');
    expect(missing.status).toBe(404);
    expect(missing.body.error?.code).toBe('WORKER_NOT_FOUND');
    const bad = await cp.api('GET', `/api/platform/workers/${'x'.repeat(200)}`);
    expect(bad.status).toBe(400);
    expect(bad.body.error?.field).toBe('workerId');
  });

  it('recycles a process by pid and generation: 202 with a command id, idempotent', async () => {
    const path = '/api/platform/workers/worker-a/processes/4242/recycle';
    const first = await cp.api<RecycleResponse>('POST', path, { body: { generation: 3 } });
    expect(first.status).toBe(202);
    expect(first.body.command).toMatchObject({
      commandId: 'recycle-4242-g3',
      workerId: 'worker-a',
      pid: 4242,
      generation: 3,
      status: 'PENDING',
      requestedBy: 'local-admin',
    });
    expect(first.body.created).toBe(true);
    const again = await cp.api<RecycleResponse>('POST', path, { body: { generation: 3 } });
    expect(again.status).toBe(202);
    expect(again.body.created).toBe(false);
    const pending = await stack.repos.commands.listPending('worker-a');
    expect(pending.map((c) => c.commandId)).toEqual(['recycle-4242-g3']);
    const detail = await cp.api<WorkerDetailResponse>('GET', '/api/platform/workers/worker-a');
    expect(detail.body.pendingCommands).toHaveLength(1);
  });

  it('refuses a recycle of an unknown worker or pid (404) or a stale generation (409)', async () => {
    const unknownWorker = await cp.api(
      'POST',
      '/api/platform/workers/ghost/processes/4242/recycle',
      {
        body: { generation: 3 },
      },
    );
    expect(unknownWorker.status).toBe(404);
    expect(unknownWorker.body.error?.code).toBe('WORKER_NOT_FOUND');
    const unknownPid = await cp.api(
      'POST',
      '/api/platform/workers/worker-a/processes/777/recycle',
      {
        body: { generation: 3 },
      },
    );
    expect(unknownPid.status).toBe(404);
    expect(unknownPid.body.error?.code).toBe('PROCESS_NOT_FOUND');
    expect(unknownPid.body.error?.message).toMatch(/4242 \(generation 3, ACTIVE\)/);
    const stale = await cp.api('POST', '/api/platform/workers/worker-a/processes/4242/recycle', {
      body: { generation: 2 },
    });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({ code: 'STALE_GENERATION', field: 'generation' });
    expect(stale.body.error?.message).toMatch(/generation 3, not 2/);
  });

  it('rejects bad recycle input naming the field', async () => {
    const noGeneration = await cp.api(
      'POST',
      '/api/platform/workers/worker-a/processes/4242/recycle',
      {
        body: {},
      },
    );
    expect(noGeneration.status).toBe(400);
    expect(noGeneration.body.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      field: 'generation',
    });
    const badPid = await cp.api('POST', '/api/platform/workers/worker-a/processes/abc/recycle', {
      body: { generation: 3 },
    });
    expect(badPid.status).toBe(400);
    expect(badPid.body.error?.field).toBe('pid');
    const notJson = await cp.api('POST', '/api/platform/workers/worker-a/processes/4242/recycle', {
      body: '{generation:',
    });
    expect(notJson.status).toBe(400);
    expect(notJson.body.error?.message).toMatch(/not valid JSON/);
    const extra = await cp.api('POST', '/api/platform/workers/worker-a/processes/4242/recycle', {
      body: { generation: 3, pid: 1 },
    });
    expect(extra.status).toBe(400);
    expect(extra.body.error?.field).toBe('pid');
  });

  it('stops only silent workers, and never signals a process that is not a worker', async () => {
    const online = await cp.api('POST', '/api/platform/workers/worker-a/stop');
    expect(online.status).toBe(409);
    expect(online.body.error?.code).toBe('WORKER_NOT_SILENT');
    const bad = await cp.api('POST', '/api/platform/workers/worker-silent/stop', {
      body: { force: 'yes' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.field).toBe('force');

    // A silent worker whose recorded pid now belongs to some other process: refused, untouched.
    const bystander = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
      stdio: 'ignore',
    });
    try {
      const { hostname } = await import('node:os');
      const longAgo = new Date(Date.now() - 10 * 60_000).toISOString();
      await stack.repos.workers.register(
        workerRecord('worker-reused-pid', {
          hostname: hostname(),
          mainPid: bystander.pid!,
          lastHeartbeatAt: longAgo,
        }),
      );
      const refused = await cp.api('POST', '/api/platform/workers/worker-reused-pid/stop');
      expect(refused.status).toBe(409);
      expect(refused.body.error?.code).toBe('STOP_REFUSED');
      expect(refused.body.error?.message).toMatch(/not a Warden worker/);
      expect(bystander.exitCode).toBeNull();
      expect(() => process.kill(bystander.pid!, 0)).not.toThrow();
    } finally {
      bystander.kill('SIGKILL');
    }
  });
});

describe('stopping a silent worker in AWS', () => {
  // ECS cannot run here: the ECS client is pointed at a small HTTP endpoint in this test that
  // records the StopTask call the real SDK makes (AWS JSON 1.1) and answers it.
  it('calls ECS StopTask on the worker task, in the cluster its ARN names', async () => {
    const calls: { target: string; body: Record<string, unknown> }[] = [];
    const ecs = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        calls.push({
          target: String(request.headers['x-amz-target']),
          body: JSON.parse(body) as Record<string, unknown>,
        });
        response.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify({ task: { lastStatus: 'STOPPING' } }));
      });
    });
    await new Promise<void>((resolve) => ecs.listen(0, '127.0.0.1', resolve));
    const client = new ECSClient({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${(ecs.address() as AddressInfo).port}`,
    });
    const aws = await startControlPlane(stack, {
      overrides: { stopper: new EcsWorkerStopper(client) },
    });
    try {
      const taskArn = 'arn:aws:ecs:us-east-1:123456789012:task/warden-workers/0123456789abcdef';
      const longAgo = new Date(Date.now() - 10 * 60_000).toISOString();
      await stack.repos.workers.register(
        workerRecord('worker-on-ecs', { taskArn, lastHeartbeatAt: longAgo }),
      );
      const response = await aws.api<{ target: string }>(
        'POST',
        '/api/platform/workers/worker-on-ecs/stop',
      );
      expect(response.status).toBe(202);
      expect(response.body.target).toBe(taskArn);
      expect(calls).toEqual([
        {
          target: 'AmazonEC2ContainerServiceV20141113.StopTask',
          body: {
            cluster: 'warden-workers',
            task: taskArn,
            reason: 'Stopped by local-admin from the Warden admin',
          },
        },
      ]);
      expect((await stack.repos.workers.get('worker-on-ecs'))?.status).toBe('STOPPING');

      const noTask = await aws.api('POST', '/api/platform/workers/worker-silent/stop');
      expect(noTask.status).toBe(409);
      expect(noTask.body.error?.message).toMatch(/no ECS task ARN/);
    } finally {
      client.destroy();
      await aws.stop();
      await new Promise((resolve) => ecs.close(resolve));
    }
  });
});

describe('workflows catalog', () => {
  it('is the union of the registered workers catalogs, the newest worker winning', async () => {
    const { status, body } = await cp.api<WorkflowsResponse>('GET', '/api/workflows');
    expect(status).toBe(200);
    expect(body.workflows.map((w) => w.id)).toEqual(['cpu-spin', 'echo', 'report']);
    const echo = body.workflows.find((w) => w.id === 'echo');
    // worker-b started before the others, so its older "Echo (old build)" name loses.
    expect(echo).toMatchObject({ name: 'Echo', timeoutSeconds: 30, blacklisted: false });
    const offering = (await stack.repos.workers.list()).filter((w) =>
      w.workflows.some((workflow) => workflow.id === 'echo'),
    );
    expect(echo?.workers).toBe(offering.length);
  });
});

describe('config', () => {
  it('serves the defaults, saves a partial update with who changed it', async () => {
    const initial = await cp.api<ConfigResponse>('GET', '/api/platform/config');
    expect(initial.status).toBe(200);
    expect(initial.body).toMatchObject({
      stuck_circuit_breaker_threshold: 5,
      stuck_circuit_breaker_window_minutes: 60,
    });
    const saved = await cp.api<ConfigResponse>('PUT', '/api/platform/config', {
      body: { stuck_circuit_breaker_window_minutes: 30 },
    });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({
      stuck_circuit_breaker_threshold: 5,
      stuck_circuit_breaker_window_minutes: 30,
      updatedBy: 'local-admin',
    });
    expect((await stack.repos.systemConfig.get()).stuck_circuit_breaker_window_minutes).toBe(30);
    await cp.api('PUT', '/api/platform/config', {
      body: { stuck_circuit_breaker_window_minutes: 60 },
    });
  });

  it.each([
    [{ stuck_circuit_breaker_threshold: 0 }, 'stuck_circuit_breaker_threshold', /1 to 1000/],
    [{ stuck_circuit_breaker_threshold: 2.5 }, 'stuck_circuit_breaker_threshold', /integer/],
    [
      { stuck_circuit_breaker_window_minutes: 20_000 },
      'stuck_circuit_breaker_window_minutes',
      /10080/,
    ],
    [{ threshold: 3 }, 'threshold', /not accepted/],
    [{}, undefined, /at least one/],
  ])('refuses %j naming the field', async (body, field, message) => {
    const response = await cp.api('PUT', '/api/platform/config', { body });
    expect(response.status).toBe(400);
    expect(response.body.error?.field).toBe(field);
    expect(response.body.error?.message).toMatch(message);
  });
});

describe('blacklist', () => {
  it('adds a manual entry with a reason and who, refuses a second, removes it into history', async () => {
    const added = await cp.api<{ entry: BlacklistResponse['entries'][number] }>(
      'POST',
      '/api/platform/blacklist',
      { body: { workflowId: 'report', reason: 'corrupts the ledger' } },
    );
    expect(added.status).toBe(201);
    expect(added.body.entry).toMatchObject({
      workflowId: 'report',
      reason: 'manual:corrupts the ledger',
      blacklistedBy: 'local-admin',
    });
    const twice = await cp.api('POST', '/api/platform/blacklist', {
      body: { workflowId: 'report', reason: 'again' },
    });
    expect(twice.status).toBe(409);
    expect(twice.body.error?.code).toBe('ALREADY_BLACKLISTED');

    const listed = await cp.api<BlacklistResponse>('GET', '/api/platform/blacklist');
    expect(listed.body.entries.map((e) => e.workflowId)).toEqual(['report']);
    expect(listed.body.history).toBeUndefined();

    const removed = await cp.api<{ entry: BlacklistResponse['entries'][number] }>(
      'DELETE',
      '/api/platform/blacklist/report',
    );
    expect(removed.status).toBe(200);
    expect(removed.body.entry).toMatchObject({ workflowId: 'report', removedBy: 'local-admin' });
    expect(removed.body.entry.removedAt).toBeTruthy();
    expect((await stack.repos.blacklist.counterResets()).get('report')).toBe(
      removed.body.entry.removedAt,
    );

    const history = await cp.api<BlacklistResponse>(
      'GET',
      '/api/platform/blacklist?include=removed',
    );
    expect(history.body.entries).toEqual([]);
    expect(history.body.history?.map((e) => e.workflowId)).toEqual(['report']);

    const gone = await cp.api('DELETE', '/api/platform/blacklist/report');
    expect(gone.status).toBe(404);
    expect(gone.body.error?.code).toBe('NOT_BLACKLISTED');
  });

  it.each([
    [{ workflowId: 'echo' }, 'reason'],
    [{ workflowId: 'echo', reason: '   ' }, 'reason'],
    [{ reason: 'why' }, 'workflowId'],
    [{ workflowId: 'bad id!', reason: 'why' }, 'workflowId'],
  ])('refuses a blacklist entry %j naming %s', async (body, field) => {
    const response = await cp.api('POST', '/api/platform/blacklist', { body });
    expect(response.status).toBe(400);
    expect(response.body.error?.field).toBe(field);
  });

  it('refuses an unknown include and a bad workflow id', async () => {
    const include = await cp.api('GET', '/api/platform/blacklist?include=everything');
    expect(include.status).toBe(400);
    expect(include.body.error?.field).toBe('include');
    const id = await cp.api('DELETE', '/api/platform/blacklist/bad%20id');
    expect(id.status).toBe(400);
    expect(id.body.error?.field).toBe('workflowId');
  });
});

describe('executions', () => {
  it('queues a submission: QUEUED record first, then the SQS message', async () => {
    const response = await cp.api<ExecutionResponse>('POST', '/api/executions', {
      body: {
        workflowId: 'echo',
        input: { hello: 'world' },
        timeoutSeconds: 5,
        executionId: 'sub-1',
      },
    });
    expect(response.status).toBe(202);
    expect(response.headers.get('location')).toBe('/api/executions/sub-1');
    expect(response.body.execution).toMatchObject({
      executionId: 'sub-1',
      workflowId: 'echo',
      status: 'QUEUED',
      submittedBy: 'local-admin',
    });
    const received = await stack.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: stack.queueUrl,
        WaitTimeSeconds: 1,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 30,
      }),
    );
    // Put what was read back, as an unprocessed message would be.
    for (const message of received.Messages ?? []) {
      await stack.clients.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: stack.queueUrl,
          ReceiptHandle: message.ReceiptHandle,
          VisibilityTimeout: 0,
        }),
      );
    }
    expect(received.Messages?.map((m) => JSON.parse(m.Body!))).toContainEqual({
      executionId: 'sub-1',
      workflowId: 'echo',
      input: { hello: 'world' },
      timeoutSeconds: 5,
    });
    const one = await cp.api<ExecutionResponse>('GET', '/api/executions/sub-1');
    expect(one.status).toBe(200);
    expect(one.body.execution.input).toEqual({ hello: 'world' });
  });

  it('generates an execution id when none is given and refuses a duplicate', async () => {
    const generated = await cp.api<ExecutionResponse>('POST', '/api/executions', {
      body: { workflowId: 'echo' },
    });
    expect(generated.status).toBe(202);
    expect(generated.body.execution.executionId).toMatch(/^[0-9a-f-]{36}$/);
    const duplicate = await cp.api('POST', '/api/executions', {
      body: { workflowId: 'echo', executionId: 'sub-1' },
    });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error).toMatchObject({
      code: 'DUPLICATE_EXECUTION',
      field: 'executionId',
    });
  });

  it('refuses an unknown workflow with 400, listing the known ones', async () => {
    const response = await cp.api('POST', '/api/executions', { body: { workflowId: 'nope' } });
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ code: 'UNKNOWN_WORKFLOW', field: 'workflowId' });
    expect(response.body.error?.message).toMatch(/Known workflows: cpu-spin, echo, report/);
    expect(await stack.repos.executions.list({ workflowId: 'nope', limit: 5 })).toEqual({
      items: [],
    });
  });

  it('refuses a blacklisted workflow before anything is queued', async () => {
    await cp.api('POST', '/api/platform/blacklist', {
      body: { workflowId: 'cpu-spin', reason: 'spins' },
    });
    const before = await cp.api<QueueStatusResponse>('GET', '/api/platform/queue');
    const response = await cp.api('POST', '/api/executions', {
      body: { workflowId: 'cpu-spin', executionId: 'refused-1' },
    });
    expect(response.status).toBe(409);
    expect(response.body.error).toMatchObject({
      code: 'WORKFLOW_BLACKLISTED',
      field: 'workflowId',
    });
    expect(response.body.error?.message).toMatch(/blacklisted \(manual:spins.*nothing was queued/);
    const after = await cp.api<QueueStatusResponse>('GET', '/api/platform/queue');
    expect(after.body.queue.visible + after.body.queue.inFlight).toBe(
      before.body.queue.visible + before.body.queue.inFlight,
    );
    expect((await cp.api('GET', '/api/executions/refused-1')).status).toBe(404);
    await cp.api('DELETE', '/api/platform/blacklist/cpu-spin');
  });

  it.each([
    [{}, 'workflowId'],
    [{ workflowId: 'echo', timeoutSeconds: -1 }, 'timeoutSeconds'],
    [{ workflowId: 'echo', timeoutSeconds: 'soon' }, 'timeoutSeconds'],
    [{ workflowId: 'echo', executionId: 'has space' }, 'executionId'],
    [{ workflowId: 'echo', priority: 1 }, 'priority'],
    [{ workflowId: 'echo', input: 'x'.repeat(70_000) }, 'input'],
  ])('refuses a submission %# naming %s', async (body, field) => {
    const response = await cp.api('POST', '/api/executions', { body });
    expect(response.status).toBe(400);
    expect(response.body.error?.field).toBe(field);
  });

  it('answers 404 for an unknown execution', async () => {
    const response = await cp.api('GET', '/api/executions/never-submitted');
    expect(response.status).toBe(404);
    expect(response.body.error?.code).toBe('EXECUTION_NOT_FOUND');
  });

  it('lists executions filtered by workflow, status and time, one page at a time', async () => {
    const start = new Date().toISOString();
    for (let i = 0; i < 5; i++) {
      await cp.api('POST', '/api/executions', {
        body: { workflowId: 'report', executionId: `page-${i}` },
      });
    }
    const first = await cp.api<ExecutionListResponse>(
      'GET',
      `/api/executions?workflowId=report&status=QUEUED&from=${encodeURIComponent(start)}&limit=3`,
    );
    expect(first.status).toBe(200);
    expect(first.body.items.map((e) => e.executionId)).toEqual(['page-4', 'page-3', 'page-2']);
    expect(first.body.nextCursor).toBeTruthy();
    const second = await cp.api<ExecutionListResponse>(
      'GET',
      `/api/executions?workflowId=report&limit=3&cursor=${first.body.nextCursor}`,
    );
    expect(second.body.items.map((e) => e.executionId)).toEqual(['page-1', 'page-0']);
    expect(second.body.nextCursor).toBeUndefined();
    const none = await cp.api<ExecutionListResponse>('GET', '/api/executions?status=SUCCESS');
    expect(none.body.items).toEqual([]);
    const until = await cp.api<ExecutionListResponse>(
      'GET',
      `/api/executions?to=${encodeURIComponent(start)}&limit=200`,
    );
    expect(until.body.items.map((e) => e.executionId)).not.toContain('page-0');
  });

  it.each([
    ['status=BOGUS', 'status'],
    ['limit=0', 'limit'],
    ['limit=many', 'limit'],
    ['from=yesterday', 'from'],
    ['cursor=not-a-cursor', 'cursor'],
    ['from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'from'],
  ])('refuses a list query %s naming the field', async (query, field) => {
    const response = await cp.api('GET', `/api/executions?${query}`);
    expect(response.status).toBe(400);
    expect(response.body.error?.field).toBe(field);
  });

  it('records an execution whose message the queue refused as FAILED (EnqueueFailed)', async () => {
    const broken = await startControlPlane(stack, {
      env: { WARDEN_QUEUE_URL: `${stack.queueUrl}-missing` },
    });
    try {
      const response = await broken.api('POST', '/api/executions', {
        body: { workflowId: 'echo', executionId: 'lost-1' },
      });
      expect(response.status).toBe(503);
      expect(response.body.error?.code).toBe('ENQUEUE_FAILED');
      const record = await stack.repos.executions.get('lost-1');
      expect(record).toMatchObject({ status: 'FAILED', errorType: 'EnqueueFailed' });
    } finally {
      await broken.stop();
    }
  });
});

describe('queue', () => {
  it('counts visible, in-flight and delayed messages, tracked and untracked, and the DLQ', async () => {
    // A raw message from an upstream service: no QUEUED record.
    await stack.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: stack.queueUrl,
        MessageBody: JSON.stringify({ workflowId: 'echo' }),
      }),
    );
    await stack.clients.sqs.send(
      new SendMessageCommand({ QueueUrl: stack.deadLetterQueueUrl, MessageBody: '{}' }),
    );
    const body = await waitFor('the queue counts to settle', async () => {
      const response = await cp.api<QueueStatusResponse>('GET', '/api/platform/queue?limit=2');
      expect(response.status).toBe(200);
      return response.body.deadLetter.depth === 1 ? response.body : undefined;
    });
    const tracked = (await stack.repos.executions.list({ status: 'QUEUED', limit: 100 })).items;
    expect(body.tracked.count).toBe(tracked.length);
    expect(body.tracked.executions).toHaveLength(2);
    expect(body.tracked.executions[0]).toMatchObject({
      workflowId: 'report',
      workflowName: 'Monthly report',
    });
    expect(body.tracked.executions[0]!.ageMs).toBeGreaterThanOrEqual(0);
    expect(body.queue.visible + body.queue.delayed).toBe(tracked.length + 1);
    expect(body.untracked).toBe(1);
    const bad = await cp.api('GET', '/api/platform/queue?limit=0');
    expect(bad.status).toBe(400);
    expect(bad.body.error?.field).toBe('limit');
  });
});

describe('stuck history', () => {
  it('summarises stuck records per workflow over the last hours', async () => {
    const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
    const stuckAt: Record<string, string> = { h1: at(5), h2: at(50), h3: at(3 * 60), h4: at(10) };
    for (const [executionId, workflowId] of [
      ['h1', 'cpu-spin'],
      ['h2', 'cpu-spin'],
      ['h3', 'cpu-spin'],
      ['h4', 'report'],
    ] as const) {
      await stack.repos.stuck.record({
        workflowId,
        executionId,
        stuckAt: stuckAt[executionId]!,
        workerId: 'worker-a',
        elapsedMs: 3000,
      });
    }
    const recent = await cp.api<StuckHistoryResponse>('GET', '/api/platform/stuck-history?hours=1');
    expect(recent.status).toBe(200);
    expect(recent.body.total).toBe(3);
    expect(recent.body.workflows).toEqual([
      {
        workflowId: 'cpu-spin',
        workflowName: 'CPU spin',
        count: 2,
        lastStuckAt: stuckAt.h1,
        blacklisted: false,
      },
      {
        workflowId: 'report',
        workflowName: 'Monthly report',
        count: 1,
        lastStuckAt: stuckAt.h4,
        blacklisted: false,
      },
    ]);
    expect(recent.body.records.map((r) => r.executionId)).toEqual(['h1', 'h4', 'h2']);
    const day = await cp.api<StuckHistoryResponse>('GET', '/api/platform/stuck-history');
    expect(day.body.hours).toBe(24);
    expect(day.body.workflows[0]).toMatchObject({ workflowId: 'cpu-spin', count: 3 });
  });

  it.each(['hours=0', 'hours=1000', 'hours=soon'])('refuses %s naming hours', async (query) => {
    const response = await cp.api('GET', `/api/platform/stuck-history?${query}`);
    expect(response.status).toBe(400);
    expect(response.body.error?.field).toBe('hours');
  });
});
