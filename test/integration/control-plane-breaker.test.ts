/**
 * The circuit-breaker sweep's arithmetic over the real DynamoDB emulator: threshold, window and
 * counter reset, idempotence, the event and the admin notification, and the fleet health it
 * reports. Stuck records are written through the repository here (the worker writes the same
 * rows); the sweep over real stuck executions is in control-plane-worker.test.ts.
 *
 * SNS has no emulator here: the SNS client is pointed (AWS_ENDPOINT_URL_SNS) at a small HTTP
 * endpoint in this file that records the Publish call the real SDK makes and answers it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CIRCUIT_BREAKER_METRICS, type BlacklistResponse } from '@warden/core';
import { startTestStack, type TestStack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';
import {
  startControlPlane,
  workerRecord,
  type TestControlPlane,
} from '../support/control-plane.js';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:warden-alerts';

let stack: TestStack;
let cp: TestControlPlane;
let sns: Server;
const published: URLSearchParams[] = [];

beforeAll(async () => {
  sns = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      published.push(new URLSearchParams(body));
      response.writeHead(200, { 'Content-Type': 'text/xml' });
      response.end(
        '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-1</MessageId></PublishResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></PublishResponse>',
      );
    });
  });
  await new Promise<void>((resolve) => sns.listen(0, '127.0.0.1', resolve));
  process.env.AWS_ENDPOINT_URL_SNS = `http://127.0.0.1:${(sns.address() as AddressInfo).port}`;
  stack = await startTestStack();
  cp = await startControlPlane(stack, {
    env: {
      WARDEN_ALERT_TOPIC_ARN: TOPIC,
      WORKER_SILENT_AFTER_SECONDS: '60',
      DRAINING_ALARM_SECONDS: '600',
    },
  });
});
afterAll(async () => {
  await cp?.stop();
  await stack?.stop();
  delete process.env.AWS_ENDPOINT_URL_SNS;
  await new Promise((resolve) => sns?.close(resolve));
});
beforeEach(() => {
  published.length = 0;
});

let sequence = 0;
const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
async function stuck(workflowId: string, count: number, minutes = 1): Promise<void> {
  for (let i = 0; i < count; i++) {
    await stack.repos.stuck.record({
      workflowId,
      executionId: `${workflowId}-${++sequence}`,
      stuckAt: minutesAgo(minutes),
      workerId: 'worker-1',
      elapsedMs: 3000,
    });
  }
}

describe('threshold and window', () => {
  it('blacklists a workflow stuck five times inside the window, exactly once', async () => {
    const client = await cp.listen();
    await stuck('five', 5);
    const first = await cp.sweep();
    expect(first.tripped).toHaveLength(1);
    expect(first.tripped[0]).toMatchObject({
      workflowId: 'five',
      reason: 'auto:stuck:5',
      stuckCount: 5,
    });
    expect(first.tripped[0]!.blacklistedBy).toBeUndefined();
    expect(first.counts).toContainEqual(expect.objectContaining({ workflowId: 'five', count: 5 }));

    expect(await client.next('workflow_blacklisted')).toMatchObject({
      entry: { workflowId: 'five', reason: 'auto:stuck:5' },
    });
    expect(published).toHaveLength(1);
    expect(published[0]!.get('Action')).toBe('Publish');
    expect(published[0]!.get('TopicArn')).toBe(TOPIC);
    expect(published[0]!.get('Subject')).toBe('Warden: workflow five blacklisted');
    expect(published[0]!.get('Message')).toMatch(/auto:stuck:5/);

    const again = await cp.sweep();
    expect(again.tripped).toEqual([]);
    const entries = (await stack.repos.blacklist.listActive()).filter(
      (e) => e.workflowId === 'five',
    );
    expect(entries).toHaveLength(1);
    expect(published).toHaveLength(1);
    expect(client.events.filter((e) => e.event.type === 'workflow_blacklisted')).toHaveLength(1);
    await client.close();
  });

  it('leaves a workflow stuck four times alone', async () => {
    await stuck('four', 4);
    const result = await cp.sweep();
    expect(result.tripped).toEqual([]);
    expect(result.counts).toContainEqual(expect.objectContaining({ workflowId: 'four', count: 4 }));
    expect(await stack.repos.blacklist.getActive('four')).toBeUndefined();
  });

  it('does not count stuck records older than the window', async () => {
    await stuck('aged', 3, 90);
    await stuck('aged', 4, 5);
    const result = await cp.sweep();
    expect(result.counts).toContainEqual(expect.objectContaining({ workflowId: 'aged', count: 4 }));
    expect(await stack.repos.blacklist.getActive('aged')).toBeUndefined();
  });

  it('follows the threshold and window saved in the config', async () => {
    await cp.api('PUT', '/api/platform/config', {
      body: { stuck_circuit_breaker_threshold: 3, stuck_circuit_breaker_window_minutes: 120 },
    });
    try {
      const result = await cp.sweep();
      // "aged" now has 7 inside 120 minutes; "four" has 4 ≥ 3.
      expect(result.tripped.map((e) => e.workflowId).sort()).toEqual(['aged', 'four']);
      expect(result.tripped.find((e) => e.workflowId === 'aged')?.reason).toBe('auto:stuck:7');
    } finally {
      await cp.api('PUT', '/api/platform/config', {
        body: { stuck_circuit_breaker_threshold: 5, stuck_circuit_breaker_window_minutes: 60 },
      });
    }
  });

  it('blacklists once when several sweeps race', async () => {
    await stuck('raced', 6);
    const results = await Promise.all([cp.sweep(), cp.sweep(), cp.sweep()]);
    expect(results.flatMap((r) => r.tripped).map((e) => e.workflowId)).toEqual(['raced']);
    expect(published.filter((p) => p.get('Subject')?.includes('raced'))).toHaveLength(1);
  });
});

describe('counter reset', () => {
  it('counts from zero again after removal from the blacklist', async () => {
    await stuck('reset', 5);
    expect((await cp.sweep()).tripped.map((e) => e.workflowId)).toEqual(['reset']);
    const removed = await cp.api('DELETE', '/api/platform/blacklist/reset');
    expect(removed.status).toBe(200);

    // The five records are still inside the window, but they predate the reset.
    const after = await cp.sweep();
    expect(after.tripped).toEqual([]);
    expect(after.counts.find((c) => c.workflowId === 'reset')).toBeUndefined();

    await new Promise((resolve) => setTimeout(resolve, 5));
    await stuck('reset', 4, 0);
    expect((await cp.sweep()).tripped).toEqual([]);
    await stuck('reset', 1, 0);
    const tripped = (await cp.sweep()).tripped;
    expect(tripped.map((e) => e.reason)).toEqual(['auto:stuck:5']);

    const history = await cp.api<BlacklistResponse>(
      'GET',
      '/api/platform/blacklist?include=removed',
    );
    expect(history.body.history?.filter((e) => e.workflowId === 'reset')).toHaveLength(1);
    expect(history.body.entries.filter((e) => e.workflowId === 'reset')).toHaveLength(1);
  });
});

describe('the local scheduler', () => {
  it('sweeps every CIRCUIT_BREAKER_INTERVAL_SECONDS without anyone calling it', async () => {
    const scheduled = await startControlPlane(stack, {
      schedule: true,
      env: { CIRCUIT_BREAKER_INTERVAL_SECONDS: '0.5' },
    });
    try {
      await stuck('scheduled', 5);
      const entry = await waitFor(
        'the scheduled sweep to blacklist the workflow',
        () => stack.repos.blacklist.getActive('scheduled'),
        { timeoutMs: 10_000, intervalMs: 100 },
      );
      expect(entry.reason).toBe('auto:stuck:5');
      // The sweep writes its fleet-health metrics after the trip is announced.
      await waitFor('the sweep to report fleet health', () => scheduled.metricLines.length >= 1, {
        timeoutMs: 5_000,
        intervalMs: 50,
      });
    } finally {
      await scheduled.stop();
    }
  });
});

describe('fleet health', () => {
  it('reports silent workers, long-draining processes and the stuck rate, as EMF metrics too', async () => {
    const now = Date.now();
    await stack.repos.workers.register(workerRecord('healthy'));
    await stack.repos.workers.register(
      workerRecord('quiet', { lastHeartbeatAt: new Date(now - 5 * 60_000).toISOString() }),
    );
    await stack.repos.workers.register(
      workerRecord('draining', {
        processes: [
          {
            pid: 11,
            generation: 1,
            state: 'DRAINING',
            stateSince: new Date(now - 20 * 60_000).toISOString(),
            startedAt: new Date(now - 30 * 60_000).toISOString(),
            memoryMb: 100,
            memoryKind: 'rss',
            jobsProcessed: 3,
            executions: [],
          },
          {
            pid: 12,
            generation: 2,
            state: 'ACTIVE',
            stateSince: new Date(now - 20 * 60_000).toISOString(),
            startedAt: new Date(now - 20 * 60_000).toISOString(),
            memoryMb: 90,
            memoryKind: 'rss',
            jobsProcessed: 9,
            executions: [],
          },
        ],
      }),
    );
    // Finished executions inside the window, for the stuck rate.
    for (let i = 0; i < 10; i++) {
      const executionId = `done-${i}`;
      await stack.repos.executions.createQueued({ executionId, workflowId: 'echo' });
      await stack.repos.executions.claim({
        executionId,
        workflowId: 'echo',
        workerId: 'healthy',
        attempt: 1,
        leaseMs: 60_000,
        queuedAt: new Date().toISOString(),
        timeoutSeconds: 10,
      });
      await stack.repos.executions.finish(executionId, 'healthy', { status: 'SUCCESS' });
    }

    cp.metricLines.length = 0;
    const { health } = await cp.sweep();
    expect(health.silentWorkers.map((w) => w.workerId)).toEqual(['quiet']);
    expect(health.silentWorkers[0]!.silentForMs).toBeGreaterThanOrEqual(5 * 60_000);
    expect(health.longDraining).toEqual([
      expect.objectContaining({ workerId: 'draining', pid: 11, generation: 1, state: 'DRAINING' }),
    ]);
    expect(health.workers).toMatchObject({ online: 2, silent: 1 });
    const stuckInWindow = (await stack.repos.stuck.listSince(minutesAgo(60))).length;
    expect(health.stuckRate.stuck).toBe(stuckInWindow);
    expect(health.stuckRate.finished).toBe(10);
    expect(health.stuckRate.percent).toBeCloseTo((stuckInWindow / 10) * 100, 1);

    expect(cp.metricLines).toHaveLength(1);
    const emf = JSON.parse(cp.metricLines[0]!) as Record<string, unknown> & {
      _aws: { CloudWatchMetrics: { Namespace: string; Metrics: { Name: string }[] }[] };
    };
    expect(emf._aws.CloudWatchMetrics[0]!.Namespace).toBe('Warden');
    expect(emf._aws.CloudWatchMetrics[0]!.Metrics.map((m) => m.Name).sort()).toEqual(
      Object.values(CIRCUIT_BREAKER_METRICS).sort(),
    );
    expect(emf[CIRCUIT_BREAKER_METRICS.silentWorkers]).toBe(1);
    expect(emf[CIRCUIT_BREAKER_METRICS.processesDrainingTooLong]).toBe(1);
    expect(emf[CIRCUIT_BREAKER_METRICS.circuitBreakerTrips]).toBe(0);
    expect(emf[CIRCUIT_BREAKER_METRICS.workflowsBlacklisted]).toBe(health.blacklisted);
  });
});
