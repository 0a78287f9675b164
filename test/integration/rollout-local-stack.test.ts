/**
 * A local canary: `npm start` with WARDEN_WORKER_MODES=process,thread runs one worker of each
 * executor mode on the same queue. A mixed workload (successes, workflow failures, executions
 * stuck in `while (true) {}`, sleeps that keep work in flight across heartbeats) goes through
 * both, and GET /api/platform/rollout must agree exactly with the execution records and worker
 * samples in DynamoDB, mode by mode.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import {
  WORKER_MODES,
  percentile,
  type ExecutionRecord,
  type RolloutResponse,
  type WorkerSample,
} from '@warden/core';
import { killLocalPlatforms, startLocalPlatform } from '../support/local-platform.js';
import { isAlive } from '../support/processes.js';
import { waitFor } from '../support/wait.js';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

afterEach(killLocalPlatforms);

async function scan<T>(dynamo: DynamoDBDocumentClient, table: string): Promise<T[]> {
  const items: T[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await dynamo.send(new ScanCommand({ TableName: table, ExclusiveStartKey }));
    items.push(...((page.Items ?? []) as T[]));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

const WORKLOAD = [
  ...Array.from({ length: 8 }, (_, i) => ({ workflowId: 'echo', input: i })),
  ...Array.from({ length: 4 }, () => ({ workflowId: 'fail' })),
  ...Array.from({ length: 4 }, () => ({ workflowId: 'cpu-spin', timeoutSeconds: 1 })),
  ...Array.from({ length: 4 }, () => ({ workflowId: 'sleep', input: { ms: 2500 } })),
];

describe('npm start with WARDEN_WORKER_MODES=process,thread', () => {
  it('runs a baseline and a canary on one queue, and the rollout figures match the records per mode', async () => {
    const { app, outputs } = await startLocalPlatform(
      'rollout',
      {
        USE_THREAD_WORKERS: undefined,
        WARDEN_WORKERS: undefined,
        WARDEN_WORKER_MODES: 'process,thread',
        WORKER_POLL_WAIT_SECONDS: '1',
        WORKER_HEARTBEAT_INTERVAL_SECONDS: '0.5',
        WORKER_MAX_CONCURRENCY: '3',
        CANCEL_GRACE_SECONDS: '0.5',
        WARDEN_VERSION: '9.9.9-test',
      },
      { homeMadeByStack: true },
    );
    expect(outputs.Workers).toEqual([
      { workerId: 'local-1-process', pid: expect.any(Number), mode: 'process' },
      { workerId: 'local-2-thread', pid: expect.any(Number), mode: 'thread' },
    ]);
    expect(app.output()).toMatch(
      /Workers {4}2, by WARDEN_WORKER_MODES: local-1-process \(baseline: process mode, pid \d+\), local-2-thread \(canary: thread mode, pid \d+\)/,
    );

    const sqs = new SQSClient({
      region: outputs.Region,
      endpoint: outputs.AwsEndpoints.sqs,
      credentials,
      useQueueUrlAsEndpoint: false,
    });
    const ids = WORKLOAD.map((_, i) => `mix-${i}`);
    for (let start = 0; start < WORKLOAD.length; start += 10) {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: outputs.QueueUrl,
          Entries: WORKLOAD.slice(start, start + 10).map((body, i) => ({
            Id: `m${start + i}`,
            MessageBody: JSON.stringify({ executionId: ids[start + i], ...body }),
          })),
        }),
      );
    }
    sqs.destroy();

    const dynamo = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        region: outputs.Region,
        endpoint: outputs.AwsEndpoints.dynamodb,
        credentials,
      }),
    );
    const records = await waitFor(
      'every execution of the workload to end',
      async () => {
        const all = (await scan<ExecutionRecord>(dynamo, outputs.Tables.Executions)).filter((r) =>
          ids.includes(r.executionId),
        );
        return all.length === ids.length &&
          all.every((r) => ['SUCCESS', 'FAILED', 'CANCELLED'].includes(r.status))
          ? all
          : undefined;
      },
      { timeoutMs: 120_000 },
    );
    // Every record carries the mode and version of the worker that wrote it.
    for (const record of records) {
      expect(record.version).toBe('9.9.9-test');
      expect(record.mode).toBe(record.workerId === 'local-1-process' ? 'process' : 'thread');
    }
    expect(records.filter((r) => r.errorType === 'ExecutionStuck')).toHaveLength(4);
    // Stop both workers (SIGTERM, as ECS does) so no sample lands while the comparison reads.
    for (const worker of outputs.Workers) process.kill(worker.pid, 'SIGTERM');
    await waitFor(
      'both workers to exit',
      () => outputs.Workers.every((worker) => !isAlive(worker.pid)),
      { timeoutMs: 60_000 },
    );

    const response = await fetch(`${outputs.ApiUrl}/api/platform/rollout?minutes=30`, {
      headers: { Authorization: `Bearer ${outputs.AdminToken}` },
    });
    expect(response.status).toBe(200);
    const report = (await response.json()) as RolloutResponse;
    const samples = (await scan<WorkerSample>(dynamo, outputs.Tables.WorkerSamples)).filter(
      (s) => s.at >= report.window.from && s.at < report.window.to,
    );
    const stuckRows = await scan<{ executionId: string }>(dynamo, outputs.Tables.StuckRecords);

    expect(report.window.minutes).toBe(30);
    expect(report.window.truncated).toBe(false);
    let total = 0;
    for (const mode of WORKER_MODES) {
      const mine = records.filter((r) => r.mode === mode);
      const stats = report.modes[mode];
      total += stats.executions;
      const failed = mine.filter((r) => r.status === 'FAILED');
      const stuck = failed.filter((r) => r.errorType === 'ExecutionStuck');
      const byType: Record<string, number> = {};
      for (const r of failed) byType[r.errorType!] = (byType[r.errorType!] ?? 0) + 1;
      const queue = mine.map((r) => r.queueTimeMs!);
      const duration = mine.map((r) => r.durationMs!);
      const beats = samples.filter(
        (s) => s.mode === mode && s.kind === 'heartbeat' && (s.inFlight ?? 0) > 0,
      );
      const memory = beats.length
        ? Math.round(
            (beats.reduce((sum, s) => sum + s.memoryMb! / s.inFlight!, 0) / beats.length) * 100,
          ) / 100
        : null;
      expect(stats, `${mode} mode`).toMatchObject({
        executions: mine.length,
        succeeded: mine.filter((r) => r.status === 'SUCCESS').length,
        failed: failed.length,
        stuck: stuck.length,
        stuckRecorded: stuck.filter((r) =>
          stuckRows.some((row) => row.executionId === r.executionId),
        ).length,
        successRate: mine.length
          ? mine.filter((r) => r.status === 'SUCCESS').length / mine.length
          : null,
        failuresByErrorType: byType,
        queueTimeMs: { p50: percentile(queue, 50), p95: percentile(queue, 95) },
        durationMs: { p50: percentile(duration, 50), p95: percentile(duration, 95) },
        memoryPerExecutionMb: memory,
        memorySamples: beats.length,
        workers: new Set(samples.filter((s) => s.mode === mode).map((s) => s.workerId)).size,
        recycles: samples.filter((s) => s.mode === mode && s.kind === 'recycle').length,
      });
      // Both workers took part, and each sent heartbeats with work in flight.
      expect(stats.executions, `${mode} mode ran some of the workload`).toBeGreaterThan(0);
      expect(stats.memoryPerExecutionMb, `${mode} mode memory per execution`).toBeGreaterThan(0);
    }
    expect(total).toBe(WORKLOAD.length);
    // A stuck thread-mode execution recycles its pool process: the canary's samples show it.
    const threadStuck = report.modes.thread.stuck;
    if (threadStuck > 0) expect(report.modes.thread.recycles).toBeGreaterThan(0);
    expect(report.verdict.checks.stuckRecorded.status).toBe(
      threadStuck > 0 ? 'pass' : 'insufficient_data',
    );
    expect(report.verdict.checks.successRate.process).toBe(report.modes.process.successRate);
    expect(report.verdict.checks.successRate.thread).toBe(report.modes.thread.successRate);

    // A window longer than the comparison reads is refused with the limit named.
    const tooLong = await fetch(`${outputs.ApiUrl}/api/platform/rollout?minutes=100000`, {
      headers: { Authorization: `Bearer ${outputs.AdminToken}` },
    });
    expect(tooLong.status).toBe(400);
    expect(((await tooLong.json()) as { error: { message: string } }).error.message).toContain(
      'from 1 to 1440',
    );
    dynamo.destroy();
    app.child.kill('SIGINT');
    await app.exited;
  });
});
