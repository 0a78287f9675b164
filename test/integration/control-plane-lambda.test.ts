/**
 * The Lambda entry points, invoked the way Lambda invokes them (API Gateway HTTP API v2 events,
 * WebSocket route events, the scheduled sweep), configured from the environment as CDK
 * configures them, against the emulators.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkersResponse } from '@warden/core';
import { startTestStack, type TestStack } from '../support/stack.js';

const TOKEN = 'lambda-admin-token-0123456789';
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
  // What the runtime stack sets on the functions (token mode stands in for Cognito here).
  Object.assign(process.env, {
    WARDEN_AUTH_MODE: 'token',
    WARDEN_ADMIN_TOKEN: TOKEN,
    WARDEN_CORS_ORIGIN: 'https://admin.example.com',
    LOG_LEVEL: 'silent',
  });
});
afterAll(async () => {
  for (const name of [
    'WARDEN_AUTH_MODE',
    'WARDEN_ADMIN_TOKEN',
    'WARDEN_CORS_ORIGIN',
    'LOG_LEVEL',
  ]) {
    delete process.env[name];
  }
  await stack?.stop();
});

const httpEvent = (
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
) => ({
  version: '2.0',
  routeKey: '$default',
  rawPath: path,
  rawQueryString: '',
  headers: { host: 'api.example.com', ...headers },
  requestContext: {
    accountId: '123456789012',
    apiId: 'api',
    domainName: 'api.example.com',
    domainPrefix: 'api',
    http: { method, path, protocol: 'HTTP/1.1', sourceIp: '10.0.0.1', userAgent: 'test' },
    requestId: 'r-1',
    routeKey: '$default',
    stage: '$default',
    time: new Date().toUTCString(),
    timeEpoch: Date.now(),
  },
  body: body === undefined ? null : JSON.stringify(body),
  isBase64Encoded: false,
});

describe('Lambda handlers', () => {
  it('serves the admin API from an HTTP API v2 event', async () => {
    const { handler } = await import('@warden/functions/lambda/admin-api');
    const lambdaContext = {} as never;
    const ok = await handler(
      httpEvent('GET', '/api/platform/workers', { authorization: `Bearer ${TOKEN}` }) as never,
      lambdaContext,
    );
    expect(ok.statusCode).toBe(200);
    expect((JSON.parse(ok.body) as WorkersResponse).workers).toEqual([]);
    const denied = await handler(
      httpEvent('GET', '/api/platform/workers', {}) as never,
      lambdaContext,
    );
    expect(denied.statusCode).toBe(401);
    expect(JSON.parse(denied.body)).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
    const invalid = await handler(
      httpEvent(
        'PUT',
        '/api/platform/config',
        { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        { stuck_circuit_breaker_threshold: -1 },
      ) as never,
      lambdaContext,
    );
    expect(invalid.statusCode).toBe(400);
    expect(JSON.parse(invalid.body).error.field).toBe('stuck_circuit_breaker_threshold');
  });

  it('authorizes, connects, answers a ping and disconnects a WebSocket', async () => {
    const ws = await import('@warden/functions/lambda/websocket');
    const methodArn = 'arn:aws:execute-api:us-east-1:123456789012:api/prod/$connect';
    await expect(
      ws.authorizerHandler({
        type: 'REQUEST',
        methodArn,
        queryStringParameters: { token: 'nope-nope-nope-nope' },
      }),
    ).rejects.toThrow('Unauthorized');
    const allowed = await ws.authorizerHandler({
      type: 'REQUEST',
      methodArn,
      queryStringParameters: { token: TOKEN },
    });
    expect(allowed.policyDocument.Statement[0]).toMatchObject({
      Effect: 'Allow',
      Resource: methodArn,
    });

    const requestContext = {
      routeKey: '$connect',
      eventType: 'CONNECT' as const,
      connectionId: 'c-lambda',
    };
    expect(
      await ws.connectHandler({
        requestContext: { ...requestContext, authorizer: { principalId: allowed.principalId } },
      }),
    ).toEqual({ statusCode: 200 });
    expect((await stack.repos.connections.listActive()).map((c) => c.principal)).toEqual([
      'local-admin',
    ]);
    const pong = await ws.defaultHandler({
      requestContext: { ...requestContext, routeKey: '$default', eventType: 'MESSAGE' },
      body: '{"type":"ping"}',
    });
    expect(JSON.parse(pong.body!)).toMatchObject({ type: 'pong' });
    await ws.disconnectHandler({
      requestContext: { ...requestContext, routeKey: '$disconnect', eventType: 'DISCONNECT' },
    });
    expect(await stack.repos.connections.listActive()).toEqual([]);
  });

  it('runs the scheduled sweep', async () => {
    const { handler } = await import('@warden/functions/lambda/circuit-breaker');
    const result = await handler();
    expect(result.config.stuck_circuit_breaker_threshold).toBe(5);
    expect(result.tripped).toEqual([]);
  });
});
