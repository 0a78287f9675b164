/**
 * `npm start` with real workers: WARDEN_WORKERS worker processes, the same entrypoint ECS runs,
 * inheriting the mode from the environment, taking work from the local queue, and gone with
 * everything they started when the stack stops.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import {
  WITHOUT_RUNNER_BACKEND,
  descendants,
  freePort,
  isAlive,
  spawnNode,
  type Spawned,
} from '../support/processes.js';
import { waitFor } from '../support/wait.js';

const MAIN = 'services/local/dist/main.js';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const running: Spawned[] = [];

afterEach(async () => {
  for (const spawned of running.splice(0)) {
    for (const pid of descendants(spawned.child.pid!)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    if (spawned.child.exitCode === null) spawned.child.kill('SIGKILL');
    await spawned.exited;
  }
});

async function startStack(env: Record<string, string>): Promise<{ app: Spawned; home: string }> {
  // Not created beforehand, as in a fresh clone: `npm start` makes $WARDEN_HOME itself.
  const home = join(mkdtempSync(join(tmpdir(), 'warden-home-')), '.warden');
  const app = spawnNode(MAIN, {
    WARDEN_HOME: home,
    WARDEN_ADMIN_PORT: String(await freePort()),
    ...WITHOUT_RUNNER_BACKEND,
    WORKER_ID: undefined,
    WORKER_POLL_WAIT_SECONDS: '1',
    ...env,
  });
  running.push(app);
  return { app, home };
}

describe('npm start with workers', () => {
  it('runs WARDEN_WORKERS thread-mode workers that take work, and Ctrl-C stops every process', async () => {
    const { app, home } = await startStack({ WARDEN_WORKERS: '2', USE_THREAD_WORKERS: 'true' });
    const file = join(home, 'outputs.json');
    await waitFor(
      `the stack to start (output so far: ${app.output().slice(-800)})`,
      () => existsSync(file) && /Press Ctrl-C/.test(app.output()),
      { timeoutMs: 90_000 },
    );
    const outputs = JSON.parse(readFileSync(file, 'utf8')).WardenLocal;
    expect(outputs.Workers).toEqual([
      { workerId: 'local-1', pid: expect.any(Number), mode: 'thread' },
      { workerId: 'local-2', pid: expect.any(Number), mode: 'thread' },
    ]);
    expect(app.output()).toMatch(/Workers {4}2 × thread mode: local-1 \(pid \d+\), local-2/);

    const sqs = new SQSClient({
      region: outputs.Region,
      endpoint: outputs.AwsEndpoints.sqs,
      credentials,
      useQueueUrlAsEndpoint: false,
    });
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: outputs.QueueUrl,
        MessageBody: JSON.stringify({ executionId: 'local-echo', workflowId: 'echo', input: 7 }),
      }),
    );
    sqs.destroy();
    const dynamo = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        region: outputs.Region,
        endpoint: outputs.AwsEndpoints.dynamodb,
        credentials,
      }),
    );
    const record = await waitFor('the execution to succeed', async () => {
      const { Item } = await dynamo.send(
        new GetCommand({
          TableName: outputs.Tables.Executions,
          Key: { executionId: 'local-echo' },
        }),
      );
      return Item?.status === 'SUCCESS' ? Item : undefined;
    });
    expect(record.output).toEqual({ echo: 7 });
    expect(['local-1', 'local-2']).toContain(record.workerId);
    dynamo.destroy();
    // Worker output is forwarded, prefixed with the worker's id; metric lines go to a file.
    expect(app.output()).toMatch(/^\[local-1\] \{/m);
    const metricsLog = join(home, 'metrics.log');
    expect(app.output()).toContain(`Metrics    ${metricsLog}`);
    await waitFor('the execution metrics in metrics.log', () =>
      readFileSync(metricsLog, 'utf8').includes('"ExecutionsSucceeded":1'),
    );
    expect(app.output()).not.toContain('"_aws"');

    const tree = descendants(app.child.pid!);
    // Two workers, each with its pool process.
    expect(tree.length).toBeGreaterThanOrEqual(4);
    app.child.kill('SIGINT');
    expect(await app.exited).toBe(0);
    expect(app.output()).toMatch(/\[local-1\] .*"msg":"worker offline"/);
    expect(app.output()).toMatch(/\[local-2\] .*"msg":"worker offline"/);
    for (const pid of tree) expect(isAlive(pid), `process ${pid} outlived npm start`).toBe(false);
  });

  it('refuses a bad WARDEN_WORKERS with a message naming it', async () => {
    const { app } = await startStack({ WARDEN_WORKERS: 'many' });
    expect(await app.exited).toBe(1);
    expect(app.output()).toContain(
      'WARDEN_WORKERS="many" is not valid: expected an integer from 0 to 16',
    );
  });
});
