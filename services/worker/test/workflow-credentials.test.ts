/**
 * The workflow credentials: the worker assumes WORKFLOW_ROLE_ARN through the real STS client and
 * refreshes before expiry, and runners are built from them, never from the worker's own keys.
 *
 * STS cannot run here, so a small HTTP server in this file stands in for it: it answers the
 * AssumeRole call the real SDK makes with credentials that expire soon, so a refresh is due at
 * once; the test waits for the second call rather than for time to pass.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STSClient } from '@aws-sdk/client-sts';
import { createLogger } from '@warden/core';
import { WorkflowCredentials } from '../src/workflow-credentials.js';
import { workflowEnvironment } from '../src/workflow-env.js';

const ROLE = 'arn:aws:iam::123456789012:role/warden-workflows';
let server: Server;
let endpoint: string;
const calls: URLSearchParams[] = [];
let failNext = false;

function assumeRoleXml(n: number, expiration: Date): string {
  return `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>ASIAWORKFLOW${n}</AccessKeyId><SecretAccessKey>secret-${n}</SecretAccessKey><SessionToken>token-${n}</SessionToken><Expiration>${expiration.toISOString()}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROATEST:s</AssumedRoleId><Arn>arn:aws:sts::123456789012:assumed-role/warden-workflows/s</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>r-${n}</RequestId></ResponseMetadata></AssumeRoleResponse>`;
}

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const denied = new URLSearchParams(body).get('RoleArn')?.endsWith('/denied');
      if (failNext || denied) {
        failNext = false;
        response.writeHead(403, { 'Content-Type': 'text/xml' });
        response.end(
          '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not now</Message></Error><RequestId>r-x</RequestId></ErrorResponse>',
        );
        return;
      }
      calls.push(new URLSearchParams(body));
      // Expires 16 minutes from now: inside the 15-minute-plus refresh margin used below.
      const expiration = new Date(Date.now() + 16 * 60_000);
      response.writeHead(200, { 'Content-Type': 'text/xml' });
      response.end(assumeRoleXml(calls.length, expiration));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

const sts = () =>
  new STSClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'WORKER-KEY', secretAccessKey: 'worker-secret' },
    maxAttempts: 1,
  });

describe('workflow credentials from WORKFLOW_ROLE_ARN', () => {
  it('assumes the role for a short session and refreshes before expiry, telling the runners', async () => {
    calls.length = 0;
    let refreshed = 0;
    const credentials = new WorkflowCredentials({
      roleArn: ROLE,
      sts,
      sessionName: 'warden-workflows-w1',
      logger: createLogger('test', 'silent'),
      // 16 min left on each set: a refresh 16 min + 1 s before expiry is due at once.
      refreshBeforeExpiryMs: 16 * 60_000 + 1000,
      retryMs: 10,
      onRefresh: () => refreshed++,
    });
    failNext = false;
    await credentials.start();
    expect(calls[0]?.get('Action')).toBe('AssumeRole');
    expect(calls[0]?.get('RoleArn')).toBe(ROLE);
    expect(calls[0]?.get('RoleSessionName')).toBe('warden-workflows-w1');
    expect(calls[0]?.get('DurationSeconds')).toBe('3600');
    expect(credentials.current()).toMatchObject({
      accessKeyId: 'ASIAWORKFLOW1',
      sessionToken: 'token-1',
    });

    // One refresh fails (STS refused): the old credentials stay and it is tried again.
    failNext = true;
    await expect.poll(() => refreshed, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    // A later set than the first (how many refreshes ran meanwhile depends on the machine).
    const key = credentials.current()!.accessKeyId;
    expect(Number(key.replace(/^ASIAWORKFLOW/, ''))).toBeGreaterThan(1);
    credentials.stop();

    const env = workflowEnvironment(
      { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'WORKER-KEY', WARDEN_ADMIN_TOKEN: 'x' },
      [],
      credentials.current(),
    );
    expect(env).toEqual({
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: credentials.current()!.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.current()!.secretAccessKey,
      AWS_SESSION_TOKEN: credentials.current()!.sessionToken,
      AWS_CREDENTIAL_EXPIRATION: credentials.current()!.expiration!.toISOString(),
    });
  });

  it('waits between refreshes when new credentials are already inside the refresh margin', async () => {
    calls.length = 0;
    const credentials = new WorkflowCredentials({
      roleArn: ROLE,
      sts,
      sessionName: 's',
      logger: createLogger('test', 'silent'),
      // Every set STS hands out is already due for refresh: a refresh at once would loop.
      refreshBeforeExpiryMs: 16 * 60_000 + 1000,
      retryMs: 100,
    });
    failNext = false;
    await credentials.start();
    // A window of 550 ms holds at most one call per 100 ms (an upper bound: a slow machine
    // makes fewer calls, never more).
    await new Promise((resolve) => setTimeout(resolve, 550));
    credentials.stop();
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(calls.length).toBeLessThanOrEqual(7);
  });

  it('fails start-up with STS when the role cannot be assumed', async () => {
    const credentials = new WorkflowCredentials({
      roleArn: 'arn:aws:iam::123456789012:role/denied',
      sts,
      sessionName: 's',
      logger: createLogger('test', 'silent'),
    });
    await expect(credentials.start()).rejects.toThrow(/not now/);
    credentials.stop();
  });
});

describe('a runner environment', () => {
  it('keeps the allow-list and the emulator routing, and drops the worker settings and keys', () => {
    const env = workflowEnvironment(
      {
        NODE_ENV: 'production',
        TZ: 'UTC',
        LANG: 'C.UTF-8',
        AWS_REGION: 'us-east-1',
        AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:4566',
        AWS_ACCESS_KEY_ID: 'WORKER-KEY',
        AWS_SECRET_ACCESS_KEY: 'worker-secret',
        AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials/x',
        WARDEN_ADMIN_TOKEN: 'admin-token',
        WARDEN_QUEUE_URL: 'http://q',
        PATH: '/usr/bin',
        TEAM_COLOR: 'blue',
      },
      ['TEAM_COLOR'],
      { accessKeyId: 'workflow-local', secretAccessKey: 'workflow-local' },
    );
    expect(env).toEqual({
      NODE_ENV: 'production',
      TZ: 'UTC',
      LANG: 'C.UTF-8',
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:4566',
      TEAM_COLOR: 'blue',
      AWS_ACCESS_KEY_ID: 'workflow-local',
      AWS_SECRET_ACCESS_KEY: 'workflow-local',
    });
  });
});
