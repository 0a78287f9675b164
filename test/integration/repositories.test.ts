import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  DuplicateExecutionError,
  createLogger,
  WorkerCommandsRepository,
  createRepositories,
  epochSeconds,
} from '@warden/core';
import { withRetry } from '@warden/worker';
import { startTestStack, type TestStack } from '../support/stack.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => stack?.stop());

const claimInput = (executionId: string, workerId: string, leaseMs = 30_000) => ({
  executionId,
  workflowId: 'echo',
  workerId,
  attempt: 1,
  leaseMs,
  queuedAt: new Date().toISOString(),
  timeoutSeconds: 10,
});

describe('executions repository (over HTTP against the DynamoDB emulator)', () => {
  it('lets exactly one worker claim an execution', async () => {
    const first = await stack.repos.executions.claim(claimInput('claim-1', 'worker-a'));
    const second = await stack.repos.executions.claim(claimInput('claim-1', 'worker-b'));
    expect(first.claimed).toBe(true);
    expect(second.claimed).toBe(false);
    if (!second.claimed) expect(second.existing?.leaseOwner).toBe('worker-a');
  });

  it('lets another worker take over once the lease has expired, counting the attempt', async () => {
    await stack.repos.executions.claim(claimInput('claim-2', 'worker-a', 1));
    // A minute later on an injected clock, instead of waiting for the lease to run out.
    const later = createRepositories(stack.clients.dynamo, stack.tables, () => Date.now() + 60_000);
    const takeover = await later.executions.claim({
      ...claimInput('claim-2', 'worker-b'),
      attempt: 2,
    });
    expect(takeover.claimed).toBe(true);
    if (takeover.claimed) expect(takeover.record.attempt).toBe(2);
  });

  it('refuses to claim a finished execution and only the lease owner can finish it', async () => {
    await stack.repos.executions.claim(claimInput('claim-3', 'worker-a'));
    expect(
      await stack.repos.executions.finish('claim-3', 'worker-b', { status: 'SUCCESS' }),
    ).toBeUndefined();
    const done = await stack.repos.executions.finish('claim-3', 'worker-a', {
      status: 'SUCCESS',
      output: { ok: true },
    });
    expect(done?.status).toBe('SUCCESS');
    expect(done?.output).toEqual({ ok: true });
    expect(typeof done?.durationMs).toBe('number');
    const again = await stack.repos.executions.claim(claimInput('claim-3', 'worker-b'));
    expect(again.claimed).toBe(false);
    if (!again.claimed) expect(again.existing?.status).toBe('SUCCESS');
  });

  it('keeps where a fast execution ran when its finish overtakes the placement write', async () => {
    await stack.repos.executions.claim(claimInput('claim-4', 'worker-a'));
    const done = await stack.repos.executions.finish('claim-4', 'worker-a', {
      status: 'SUCCESS',
      placement: { pid: 4242, threadId: 3, generation: 2 },
    });
    expect(done).toMatchObject({ pid: 4242, threadId: 3, generation: 2 });
    // The late placement write finds the execution terminal and is refused, changing nothing.
    expect(
      await stack.repos.executions.setPlacement('claim-4', 'worker-a', { pid: 1, generation: 1 }),
    ).toBe(false);
    expect(await stack.repos.executions.get('claim-4')).toMatchObject({ pid: 4242, generation: 2 });
  });

  it('refuses a second submission with the same execution id', async () => {
    await stack.repos.executions.createQueued({ executionId: 'sub-1', workflowId: 'echo' });
    await expect(
      stack.repos.executions.createQueued({ executionId: 'sub-1', workflowId: 'echo' }),
    ).rejects.toBeInstanceOf(DuplicateExecutionError);
  });

  it('lists executions newest first, by workflow and by status, with a cursor', async () => {
    // One millisecond apart on an injected clock.
    for (let i = 0; i < 5; i++) {
      const at = Date.parse('2026-03-01T10:00:00.000Z') + i;
      await createRepositories(
        stack.clients.dynamo,
        stack.tables,
        () => at,
      ).executions.createQueued({ executionId: `list-${i}`, workflowId: 'lister' });
    }
    const first = await stack.repos.executions.list({ workflowId: 'lister', limit: 3 });
    expect(first.items.map((e) => e.executionId)).toEqual(['list-4', 'list-3', 'list-2']);
    const second = await stack.repos.executions.list({
      workflowId: 'lister',
      limit: 3,
      cursor: first.nextCursor,
    });
    expect(second.items.map((e) => e.executionId)).toEqual(['list-1', 'list-0']);
    expect(second.nextCursor).toBeUndefined();
    const queued = await stack.repos.executions.list({ status: 'QUEUED', limit: 100 });
    expect(queued.items.map((e) => e.executionId)).toContain('list-0');
  });

  it('pages through rows that share a millisecond without skipping or repeating any', async () => {
    const sameMs = createRepositories(stack.clients.dynamo, stack.tables, () =>
      Date.parse('2026-03-02T10:00:00.000Z'),
    );
    const ids = ['tie-a', 'tie-b', 'tie-c', 'tie-d', 'tie-e', 'tie-f', 'tie-g'];
    for (const executionId of ids) {
      await sameMs.executions.createQueued({ executionId, workflowId: 'ties' });
    }
    for (const query of [{ workflowId: 'ties' }, { status: 'QUEUED' as const }]) {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await stack.repos.executions.list({ ...query, limit: 2, cursor });
        seen.push(...page.items.map((e) => e.executionId));
        cursor = page.nextCursor;
      } while (cursor);
      const ties = seen.filter((id) => id.startsWith('tie-'));
      expect(ties).toEqual([...ids].reverse());
    }
  });

  it('lets a claim retried after a lost answer find its own lease, and nobody else', async () => {
    // The claim's second write fails once after the first one landed, as a dropped connection
    // would; the worker retries the whole claim with the same token.
    let updates = 0;
    const flaky = {
      send: (command: unknown) => {
        if (command instanceof UpdateCommand && ++updates === 2) {
          return Promise.reject(
            Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }),
          );
        }
        return stack.clients.dynamo.send(command as UpdateCommand);
      },
    } as unknown as DynamoDBDocumentClient;
    const executions = createRepositories(flaky, stack.tables).executions;
    const input = { ...claimInput('claim-retry', 'worker-a'), claimToken: 'delivery-1' };
    const claimed = await withRetry('claiming', () => executions.claim(input), {
      logger: createLogger('test', 'silent'),
      baseDelayMs: 1,
    });
    expect(claimed.claimed).toBe(true);
    expect(updates).toBeGreaterThanOrEqual(3);

    // Another delivery to the same worker (another token) still finds the lease live.
    const duplicate = await stack.repos.executions.claim({
      ...claimInput('claim-retry', 'worker-a'),
      claimToken: 'delivery-2',
    });
    expect(duplicate.claimed).toBe(false);
    const other = await stack.repos.executions.claim(claimInput('claim-retry', 'worker-b'));
    expect(other.claimed).toBe(false);
  });
});

describe('blacklist repository', () => {
  it('keeps one active entry when a workflow is blacklisted twice', async () => {
    const first = await stack.repos.blacklist.add({
      workflowId: 'bad',
      reason: 'auto:stuck:5',
      stuckCount: 5,
    });
    const second = await stack.repos.blacklist.add({
      workflowId: 'bad',
      reason: 'auto:stuck:6',
      stuckCount: 6,
    });
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.entry.reason).toBe('auto:stuck:5');
    const active = await stack.repos.blacklist.listActive();
    expect(active.filter((e) => e.workflowId === 'bad')).toHaveLength(1);
  });

  it('records who removed an entry, keeps it as history and resets the counter', async () => {
    await stack.repos.blacklist.add({
      workflowId: 'gone',
      reason: 'manual:test',
      blacklistedBy: 'alice',
    });
    const removed = await stack.repos.blacklist.remove('gone', 'bob');
    expect(removed?.removedBy).toBe('bob');
    expect(await stack.repos.blacklist.getActive('gone')).toBeUndefined();
    expect((await stack.repos.blacklist.listHistory()).map((e) => e.workflowId)).toContain('gone');
    expect((await stack.repos.blacklist.counterResets()).get('gone')).toBe(removed?.removedAt);
    expect(await stack.repos.blacklist.remove('gone', 'bob')).toBeUndefined();
  });
});

describe('time-filtered reads never trust TTL deletion', () => {
  it('ignores expired connections and long-silent workers still present in the table', async () => {
    const past = Date.now() - 3 * 24 * 3600 * 1000;
    await stack.clients.dynamo.send(
      new PutCommand({
        TableName: stack.tables.Connections,
        Item: {
          connectionId: 'old',
          principal: 'x',
          connectedAt: new Date(past).toISOString(),
          expiresAt: epochSeconds(past),
        },
      }),
    );
    await stack.repos.connections.add('live', 'admin');
    const ids = (await stack.repos.connections.listActive()).map((c) => c.connectionId);
    expect(ids).toEqual(['live']);

    const stale = new Date(past).toISOString();
    await stack.clients.dynamo.send(
      new PutCommand({
        TableName: stack.tables.Workers,
        Item: {
          workerId: 'ancient',
          startedAt: stale,
          lastHeartbeatAt: stale,
          status: 'ONLINE',
          processes: [],
        },
      }),
    );
    expect(await stack.repos.workers.get('ancient')).toBeUndefined();
    expect((await stack.repos.workers.list()).map((w) => w.workerId)).not.toContain('ancient');
  });

  it('counts stuck records only inside the window', async () => {
    const old = new Date(Date.now() - 2 * 3600 * 1000).toISOString();
    const recent = new Date().toISOString();
    await stack.repos.stuck.record({
      workflowId: 'spin',
      executionId: 'e-old',
      stuckAt: old,
      workerId: 'w',
      elapsedMs: 1,
    });
    await stack.repos.stuck.record({
      workflowId: 'spin',
      executionId: 'e-new',
      stuckAt: recent,
      workerId: 'w',
      elapsedMs: 1,
    });
    const since = new Date(Date.now() - 3600 * 1000).toISOString();
    expect((await stack.repos.stuck.listSince(since)).map((r) => r.executionId)).toEqual(['e-new']);
  });
});

describe('worker commands', () => {
  it('makes a recycle request idempotent and completes it once', async () => {
    const a = await stack.repos.commands.createRecycle({
      workerId: 'w1',
      pid: 10,
      generation: 2,
      requestedBy: 'alice',
    });
    const b = await stack.repos.commands.createRecycle({
      workerId: 'w1',
      pid: 10,
      generation: 2,
      requestedBy: 'bob',
    });
    expect(a.created).toBe(true);
    expect(b.created).toBe(false);
    expect(b.command.commandId).toBe(WorkerCommandsRepository.recycleCommandId(10, 2));
    expect(await stack.repos.commands.listPending('w1')).toHaveLength(1);
    expect(await stack.repos.commands.complete('w1', a.command.commandId, 'DONE', 'recycled')).toBe(
      true,
    );
    expect(await stack.repos.commands.complete('w1', a.command.commandId, 'DONE', 'recycled')).toBe(
      false,
    );
    expect(await stack.repos.commands.listPending('w1')).toHaveLength(0);
  });
});

describe('system config', () => {
  it('serves the defaults until saved and validates what is saved', async () => {
    const repos = createRepositories(stack.clients.dynamo, stack.tables);
    expect(await repos.systemConfig.get()).toMatchObject({
      stuck_circuit_breaker_threshold: 5,
      stuck_circuit_breaker_window_minutes: 60,
    });
    await repos.systemConfig.put(
      { stuck_circuit_breaker_threshold: 3, stuck_circuit_breaker_window_minutes: 10 },
      'alice',
    );
    expect(await repos.systemConfig.get()).toMatchObject({
      stuck_circuit_breaker_threshold: 3,
      updatedBy: 'alice',
    });
    await expect(
      repos.systemConfig.put(
        { stuck_circuit_breaker_threshold: 0, stuck_circuit_breaker_window_minutes: 10 },
        'x',
      ),
    ).rejects.toThrow();
  });
});
