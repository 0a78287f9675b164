// @vitest-environment node
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, ApiError } from '../src/api/client';
import { parseRuntimeConfig, RuntimeConfigError } from '../src/config/runtime-config';
import { FakeApi, TEST_TOKEN } from './support/fake-api';
import { queueResponse } from './support/fixtures';

let api: FakeApi;
beforeAll(async () => {
  api = await new FakeApi().start();
});
afterAll(() => api.stop());

describe('the API client', () => {
  it('sends the bearer token and reads the typed answer', async () => {
    api.on('GET /api/platform/queue', {
      body: queueResponse({
        queue: { url: 'q', visible: 4, inFlight: 2, delayed: 1 },
        deadLetter: { url: 'd', depth: 3 },
        tracked: {
          count: 1,
          executions: [
            {
              executionId: 'e1',
              workflowId: 'echo',
              workflowName: 'Echo',
              queuedAt: 't',
              ageMs: 5,
            },
          ],
        },
        untracked: 4,
        paused: [
          {
            workflowId: 'echo',
            reason: 'downstream outage',
            pausedAt: 't0',
            pausedBy: 'ops',
            waiting: 3,
          },
        ],
      }),
    });
    const client = new ApiClient({ baseUrl: `${api.url}/`, getToken: () => TEST_TOKEN });
    expect(await client.getQueue()).toEqual({
      visible: 4,
      inFlight: 2,
      delayed: 1,
      deadLetter: 3,
      untracked: 4,
      queued: [{ executionId: 'e1', workflowId: 'echo', workflowName: 'Echo', queuedAt: 't' }],
      paused: [
        {
          workflowId: 'echo',
          reason: 'downstream outage',
          pausedAt: 't0',
          pausedBy: 'ops',
          waiting: 3,
        },
      ],
    });
    expect(api.requestsTo('GET /api/platform/queue').at(-1)?.headers.authorization).toBe(
      `Bearer ${TEST_TOKEN}`,
    );
  });

  it('sends the generation with a recycle, so a stale page cannot hit a newer process', async () => {
    api.on('POST /api/platform/workers/worker-a/processes/4101/recycle', (request) => ({
      status: 202,
      body: { created: true, command: { commandId: 'c1', ...(request.body as object) } },
    }));
    const client = new ApiClient({ baseUrl: api.url, getToken: () => TEST_TOKEN });
    const answer = await client.recycleProcess('worker-a', 4101, 7);
    expect(answer.command.commandId).toBe('c1');
    expect(
      api.requestsTo('POST /api/platform/workers/worker-a/processes/4101/recycle')[0]?.body,
    ).toEqual({
      generation: 7,
    });
  });

  it('turns API errors into ApiError with code, message and field', async () => {
    api.on('PUT /api/platform/config', {
      status: 400,
      body: {
        error: {
          code: 'VALIDATION_FAILED',
          message: 'stuck_circuit_breaker_threshold: must be an integer from 1 to 1000',
          field: 'stuck_circuit_breaker_threshold',
        },
      },
    });
    const client = new ApiClient({ baseUrl: api.url, getToken: () => TEST_TOKEN });
    const error = await client
      .putConfig({ stuck_circuit_breaker_threshold: 0 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
      field: 'stuck_circuit_breaker_threshold',
      message: 'stuck_circuit_breaker_threshold: must be an integer from 1 to 1000.',
    });
  });

  it('reports a 401 to the app', async () => {
    const seen: ApiError[] = [];
    const client = new ApiClient({
      baseUrl: api.url,
      getToken: () => 'wrong',
      onUnauthorized: (e) => seen.push(e),
    });
    await expect(client.listWorkers()).rejects.toMatchObject({
      status: 401,
      code: 'UNAUTHENTICATED',
    });
    expect(seen).toHaveLength(1);
  });

  it('says plainly when the API cannot be reached', async () => {
    const client = new ApiClient({ baseUrl: 'http://127.0.0.1:9', getToken: () => TEST_TOKEN });
    const error = (await client.listWorkflows().catch((e: unknown) => e)) as ApiError;
    expect(error.unreachable).toBe(true);
    expect(error.message).toContain('could not be reached');
  });
});

describe('config.json', () => {
  it('accepts the local shape and defaults to token sign-in', () => {
    expect(
      parseRuntimeConfig({ apiUrl: 'http://127.0.0.1:1/', webSocketUrl: 'ws://127.0.0.1:2/local' }),
    ).toEqual({
      apiUrl: 'http://127.0.0.1:1',
      webSocketUrl: 'ws://127.0.0.1:2/local',
      auth: { mode: 'token' },
    });
  });

  it('names the field that is wrong', () => {
    expect(() => parseRuntimeConfig({ apiUrl: 'ftp://x', webSocketUrl: 'ws://x' })).toThrow(
      /"apiUrl" must use http/,
    );
    expect(() => parseRuntimeConfig({ apiUrl: 'http://x', webSocketUrl: 'http://x' })).toThrow(
      /"webSocketUrl"/,
    );
    expect(() =>
      parseRuntimeConfig({
        apiUrl: 'http://x',
        webSocketUrl: 'ws://x',
        auth: { mode: 'cognito', clientId: 'c' },
      }),
    ).toThrow(RuntimeConfigError);
    expect(() =>
      parseRuntimeConfig({ apiUrl: 'http://x', webSocketUrl: 'ws://x', auth: { mode: 'saml' } }),
    ).toThrow(/"auth.mode" must be "token" or "cognito"/);
  });
});
