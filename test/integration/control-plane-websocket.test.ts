/**
 * The local WebSocket gateway and the handlers behind it, over real sockets: the token check at
 * the handshake, the Connections table, ping/pong, the `@connections` management API that the
 * AWS SDK calls, and delivery of events published by the API through core's publisher.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { EventPublisher, createEventTransport, type WorkerHeartbeatEvent } from '@warden/core';
import { startTestStack, type TestStack } from '../support/stack.js';
import {
  startControlPlane,
  workerRecord,
  type TestControlPlane,
} from '../support/control-plane.js';
import { waitFor } from '../support/wait.js';

let stack: TestStack;
let cp: TestControlPlane;
let management: ApiGatewayManagementApiClient;

beforeAll(async () => {
  stack = await startTestStack();
  cp = await startControlPlane(stack);
  management = new ApiGatewayManagementApiClient({
    region: 'us-east-1',
    endpoint: cp.eventsEndpoint,
    maxAttempts: 1,
  });
  await stack.repos.workers.register(workerRecord('worker-ws'));
});
afterAll(async () => {
  management?.destroy();
  await cp?.stop();
  await stack?.stop();
});

/** The HTTP status a refused handshake answered with. */
function refusedStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('open', () => {
      socket.close();
      reject(new Error('the connection was accepted'));
    });
    socket.once('error', () => {});
  });
}

describe('connecting', () => {
  it('refuses a connection without a token (401), with a bad one (401), or not an admin (403)', async () => {
    expect(await refusedStatus(cp.webSocketUrl)).toBe(401);
    expect(await refusedStatus(`${cp.webSocketUrl}?token=wrong-token-wrong-token`)).toBe(401);
    expect(await refusedStatus(`${cp.webSocketUrl}?token=${cp.nonAdminToken}`)).toBe(403);
    expect(await stack.repos.connections.listActive()).toEqual([]);
  });

  it('stores an accepted connection with its principal and answers a ping', async () => {
    const client = await cp.listen();
    const [connection] = await stack.repos.connections.listActive();
    expect(connection?.principal).toBe('local-admin');
    expect(await client.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
    expect(await client.request({ action: 'ping' })).toMatchObject({ type: 'pong' });
    expect(await client.request({ type: 'subscribe' })).toMatchObject({ type: 'error' });
    await client.close();
    await waitFor('the connection row to go', async () =>
      (await stack.repos.connections.listActive()).length === 0 ? true : undefined,
    );
  });
});

describe('the @connections management API (as the AWS SDK calls it)', () => {
  it('posts to, describes and deletes a connection; an unknown one is Gone', async () => {
    const client = await cp.listen();
    const [connection] = await stack.repos.connections.listActive();
    const connectionId = connection!.connectionId;

    await management.send(
      new PostToConnectionCommand({
        ConnectionId: connectionId,
        Data: new TextEncoder().encode(
          JSON.stringify({ type: 'queue_changed', change: 'queued', at: 'now' }),
        ),
      }),
    );
    expect(await client.next('queue_changed')).toMatchObject({ change: 'queued' });

    const described = await management.send(
      new GetConnectionCommand({ ConnectionId: connectionId }),
    );
    expect(described.ConnectedAt).toBeInstanceOf(Date);
    expect(described.Identity?.SourceIp).toBe('127.0.0.1');

    const closed = new Promise((resolve) => client.socket.once('close', resolve));
    await management.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    await closed;
    await waitFor('$disconnect to remove the row', async () =>
      (await stack.repos.connections.listActive()).length === 0 ? true : undefined,
    );

    await expect(
      management.send(
        new PostToConnectionCommand({ ConnectionId: connectionId, Data: new Uint8Array([1]) }),
      ),
    ).rejects.toBeInstanceOf(GoneException);
  });
});

describe('events', () => {
  it('delivers what the API publishes: blacklist changes and queued executions', async () => {
    const client = await cp.listen();
    await cp.api('POST', '/api/platform/blacklist', {
      body: { workflowId: 'echo', reason: 'test' },
    });
    expect(await client.next('workflow_blacklisted')).toMatchObject({
      entry: { workflowId: 'echo', reason: 'manual:test', blacklistedBy: 'local-admin' },
    });
    await cp.api('DELETE', '/api/platform/blacklist/echo');
    expect(await client.next('workflow_unblacklisted')).toMatchObject({
      workflowId: 'echo',
      removedBy: 'local-admin',
    });
    const submitted = await cp.api<{ execution: { executionId: string } }>(
      'POST',
      '/api/executions',
      {
        body: { workflowId: 'echo' },
      },
    );
    expect(await client.next('queue_changed')).toMatchObject({
      change: 'queued',
      executionId: submitted.body.execution.executionId,
      workflowId: 'echo',
    });
    await client.close();
  });

  it('reaches every open connection, and a vanished client is removed on the next publish', async () => {
    const first = await cp.listen();
    const second = await cp.listen();
    // A client the gateway no longer knows (its $disconnect never arrived: a crash, a restart).
    await stack.repos.connections.add('vanished-connection', 'local-admin');
    expect((await stack.repos.connections.listActive()).map((c) => c.connectionId)).toContain(
      'vanished-connection',
    );

    // Any process publishes the same way: core's publisher and API Gateway transport.
    const publisher = new EventPublisher(
      createEventTransport(
        { region: 'us-east-1', eventsEndpoint: cp.eventsEndpoint },
        stack.repos.connections,
      ),
    );
    const heartbeat: Omit<WorkerHeartbeatEvent, 'at'> = {
      type: 'worker_heartbeat',
      workerId: 'worker-ws',
      mode: 'thread',
      processes: [],
    };
    await publisher.publish(heartbeat);
    expect(await first.next('worker_heartbeat')).toMatchObject({ workerId: 'worker-ws' });
    expect(await second.next('worker_heartbeat')).toMatchObject({ workerId: 'worker-ws' });
    const remaining = (await stack.repos.connections.listActive()).map((c) => c.connectionId);
    expect(remaining).not.toContain('vanished-connection');
    expect(remaining).toEqual(expect.arrayContaining(cp.openConnections()));

    // A client that drops its socket without a close frame is cleaned up by $disconnect.
    const open = cp.openConnections().length;
    first.socket.terminate();
    await waitFor('the dropped client to be removed', async () => {
      const rows = await stack.repos.connections.listActive();
      return cp.openConnections().length === open - 1 && rows.length === open - 1;
    });
    await second.close();
  });
});
