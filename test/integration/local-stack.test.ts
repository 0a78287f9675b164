/**
 * `npm start` as a new user runs it: the real entrypoint, in its own process, then the AWS SDK
 * pointed at what it printed.
 */
import { mkdtempSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ListTablesCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { PutCommand, GetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  WITHOUT_RUNNER_BACKEND,
  descendants,
  isAlive,
  spawnNode,
  type Spawned,
} from '../support/processes.js';
import { waitFor } from '../support/wait.js';

const MAIN = 'services/local/dist/main.js';
const EMULATORS = 'services/local/dist/emulators-main.js';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const running: Spawned[] = [];

// A clean environment: the test runner's own endpoint variables must not leak into `npm start`.
const baseEnv = (home: string): Record<string, string | undefined> => ({
  WARDEN_HOME: home,
  WARDEN_WORKERS: '0',
  ...WITHOUT_RUNNER_BACKEND,
});

function start(env: Record<string, string | undefined>, script = MAIN): Spawned {
  const spawned = spawnNode(script, env);
  running.push(spawned);
  return spawned;
}

async function outputsOf(home: string, spawned: Spawned) {
  const file = join(home, 'outputs.json');
  await waitFor(
    () => `${file} (output so far: ${spawned.output().slice(-500)})`,
    () => existsSync(file) && /Press Ctrl-C/.test(spawned.output()),
    {
      timeoutMs: 60_000,
    },
  );
  return JSON.parse(readFileSync(file, 'utf8')).WardenLocal;
}

afterEach(async () => {
  for (const spawned of running.splice(0)) {
    if (spawned.child.exitCode === null) spawned.child.kill('SIGKILL');
    await spawned.exited;
  }
});

describe('npm start', () => {
  it('brings the stack up, prints where it runs, and Ctrl-C leaves nothing running', async () => {
    const home = mkdtempSync(join(tmpdir(), 'warden-home-'));
    const app = start(baseEnv(home));
    const outputs = await outputsOf(home, app);

    expect(outputs).toMatchObject({
      Region: 'us-east-1',
      Tables: { Executions: 'warden-Executions' },
    });
    expect(app.output()).toContain(outputs.AwsEndpoints.dynamodb);
    expect(app.output()).toContain(outputs.QueueUrl);

    const dynamo = new DynamoDBClient({
      region: outputs.Region,
      endpoint: outputs.AwsEndpoints.dynamodb,
      credentials,
    });
    const tables = (await dynamo.send(new ListTablesCommand({}))).TableNames ?? [];
    expect(tables.sort()).toEqual(Object.values(outputs.Tables as Record<string, string>).sort());
    const sqs = new SQSClient({
      region: outputs.Region,
      endpoint: outputs.AwsEndpoints.sqs,
      credentials,
    });
    const queues = (await sqs.send(new ListQueuesCommand({}))).QueueUrls ?? [];
    expect(queues).toEqual(expect.arrayContaining([outputs.QueueUrl, outputs.DeadLetterQueueUrl]));
    dynamo.destroy();
    sqs.destroy();

    const tree = descendants(app.child.pid!);
    app.child.kill('SIGINT');
    expect(await app.exited).toBe(0);
    for (const pid of tree) expect(isAlive(pid), `process ${pid} outlived npm start`).toBe(false);
    await expect(fetch(outputs.AwsEndpoints.dynamodb)).rejects.toThrow();
  });

  it('takes the viewer token from WARDEN_VIEWER_TOKEN, and refuses a bad one by name', async () => {
    const bad = start({
      ...baseEnv(mkdtempSync(join(tmpdir(), 'warden-home-'))),
      WARDEN_VIEWER_TOKEN: 'short',
    });
    expect(await bad.exited).not.toBe(0);
    expect(bad.output()).toMatch(/WARDEN_VIEWER_TOKEN.*at least 16 characters/);

    const home = mkdtempSync(join(tmpdir(), 'warden-home-'));
    const viewerToken = 'viewer-token-chosen-by-me';
    const app = start({ ...baseEnv(home), WARDEN_VIEWER_TOKEN: viewerToken });
    const outputs = await outputsOf(home, app);
    expect(outputs.ViewerToken).toBe(viewerToken);
    expect(app.output()).toMatch(
      /Viewer\s+viewer-token-chosen-by-me\s+\(read-only; from WARDEN_VIEWER_TOKEN\)/,
    );
    const call = (method: string, path: string) =>
      fetch(`${outputs.ApiUrl}${path}`, {
        method,
        headers: { Authorization: `Bearer ${viewerToken}`, 'Content-Type': 'application/json' },
        body: method === 'GET' ? undefined : '{"stuck_circuit_breaker_threshold":2}',
      });
    expect((await call('GET', '/api/platform/config')).status).toBe(200);
    const refused = await call('PUT', '/api/platform/config');
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(
      /needs the admin role/,
    );
    app.child.kill('SIGINT');
    expect(await app.exited).toBe(0);
  });

  it('uses an emulator given in AWS_ENDPOINT_URL and starts none of its own', async () => {
    const emulator = start({ ...baseEnv(''), WARDEN_EMULATOR_PORT: '0' }, EMULATORS);
    const endpoint = await waitFor(
      'the emulator endpoint',
      () => /AWS_ENDPOINT_URL=(\S+)/.exec(emulator.output())?.[1],
    );

    const home = mkdtempSync(join(tmpdir(), 'warden-home-'));
    const app = start({ ...baseEnv(home), AWS_ENDPOINT_URL: endpoint, WARDEN_TABLE_PREFIX: 'ext' });
    const outputs = await outputsOf(home, app);
    expect(outputs.AwsEndpoints).toEqual({ sqs: endpoint, dynamodb: endpoint });
    expect(app.output()).toContain('(external)');
    expect(app.output()).not.toContain('embedded dynalite');

    // The tables and queues were created in the separately started emulator.
    const dynamo = new DynamoDBClient({ region: 'us-east-1', endpoint, credentials });
    expect((await dynamo.send(new ListTablesCommand({}))).TableNames).toContain('ext-Executions');
    dynamo.destroy();
    app.child.kill('SIGTERM');
    expect(await app.exited).toBe(0);
  });

  it('keeps DynamoDB data across restarts when asked to', async () => {
    const home = mkdtempSync(join(tmpdir(), 'warden-home-'));
    const env = { ...baseEnv(home), WARDEN_PERSIST: 'true' };
    const first = start(env);
    const before = await outputsOf(home, first);
    const client = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        region: 'us-east-1',
        endpoint: before.AwsEndpoints.dynamodb,
        credentials,
      }),
    );
    await client.send(
      new PutCommand({ TableName: before.Tables.SystemConfig, Item: { key: 'probe', value: 42 } }),
    );
    client.destroy();
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);

    const second = start(env);
    await waitFor(
      'the restarted stack',
      () => /Press Ctrl-C/.test(second.output()) && /\(existing\)/.test(second.output()),
      { timeoutMs: 60_000 },
    );
    const after = JSON.parse(readFileSync(join(home, 'outputs.json'), 'utf8')).WardenLocal;
    const again = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        region: 'us-east-1',
        endpoint: after.AwsEndpoints.dynamodb,
        credentials,
      }),
    );
    const item = await again.send(
      new GetCommand({ TableName: after.Tables.SystemConfig, Key: { key: 'probe' } }),
    );
    again.destroy();
    expect(item.Item?.value).toBe(42);
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
  });

  it.each(['0', 'abc'])(
    'refuses WORKER_THREAD_POOL_SIZE=%s with a message and a non-zero exit',
    async (value) => {
      const home = mkdtempSync(join(tmpdir(), 'warden-home-'));
      const app = start({ ...baseEnv(home), WORKER_THREAD_POOL_SIZE: value });
      expect(await app.exited).toBe(1);
      expect(app.output()).toContain(
        `WORKER_THREAD_POOL_SIZE="${value}" is not valid: expected an integer from 1 to 64`,
      );
      expect(existsSync(join(home, 'outputs.json'))).toBe(false);
    },
  );
});
