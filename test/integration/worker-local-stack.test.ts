/**
 * `npm start` with real workers: WARDEN_WORKERS worker processes, the same entrypoint ECS runs,
 * inheriting the mode from the environment, taking work from the local queue, and gone with
 * everything they started when the stack stops.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import {
  killLocalPlatforms,
  launchLocalPlatform,
  startLocalPlatform,
} from '../support/local-platform.js';
import { descendants, isAlive } from '../support/processes.js';
import { waitFor } from '../support/wait.js';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

afterEach(killLocalPlatforms);

describe('npm start with workers', () => {
  it('runs WARDEN_WORKERS thread-mode workers that take work, and Ctrl-C stops every process', async () => {
    // $WARDEN_HOME not created beforehand, as in a fresh clone: `npm start` makes it.
    const { app, home, outputs } = await startLocalPlatform(
      'workers',
      { WARDEN_WORKERS: '2', USE_THREAD_WORKERS: 'true', WORKER_POLL_WAIT_SECONDS: '1' },
      { homeMadeByStack: true },
    );
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
    const { app } = await launchLocalPlatform('workers', { WARDEN_WORKERS: 'many' });
    expect(await app.exited).toBe(1);
    expect(app.output()).toContain(
      'WARDEN_WORKERS="many" is not valid: expected an integer from 0 to 16',
    );
  });
});
