/**
 * Publishes events through API Gateway's WebSocket management API: one POST per open
 * connection, in parallel; a connection that answers 410 Gone has vanished and is deleted.
 * Locally the same client talks to the local gateway's `@connections` endpoint.
 */
import {
  DeleteConnectionCommand,
  GoneException,
  PostToConnectionCommand,
  type ApiGatewayManagementApiClient,
} from '@aws-sdk/client-apigatewaymanagementapi';
import type { Logger } from 'pino';
import { createManagementClient } from '../aws-clients.js';
import type { ConnectionsRepository } from '../repositories/connections.js';
import { nullTransport, type EventTransport } from './publisher.js';

export class ApiGatewayTransport implements EventTransport {
  constructor(
    private readonly client: ApiGatewayManagementApiClient,
    private readonly connections: ConnectionsRepository,
    private readonly logger?: Logger,
  ) {}

  async broadcast(payload: string): Promise<void> {
    const { active: connections, expired } = await this.connections.listAll();
    const data = new TextEncoder().encode(payload);
    await Promise.all([
      ...expired.map((connection) => this.drop(connection.connectionId)),
      ...connections.map(async ({ connectionId }) => {
        try {
          await this.client.send(
            new PostToConnectionCommand({ ConnectionId: connectionId, Data: data }),
          );
        } catch (error) {
          if (isGone(error)) {
            await this.connections.remove(connectionId);
            this.logger?.debug({ connectionId }, 'removed a vanished WebSocket connection');
          } else {
            this.logger?.warn(
              { err: error, connectionId },
              'could not post an event to a connection',
            );
          }
        }
      }),
    ]);
  }

  /** Closes a connection whose token (or lifetime) has expired, and forgets it. */
  private async drop(connectionId: string): Promise<void> {
    try {
      await this.client.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    } catch (error) {
      if (!isGone(error)) {
        // Keep the row: the next frame tries again; it receives no events meanwhile.
        this.logger?.warn({ err: error, connectionId }, 'could not close an expired connection');
        return;
      }
    }
    await this.connections.remove(connectionId);
    this.logger?.info({ connectionId }, 'closed a WebSocket connection whose token expired');
  }
}

const isGone = (error: unknown): boolean =>
  error instanceof GoneException ||
  (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 410;

/** The transport for a process: API Gateway when a callback URL is configured, else nothing. */
export function createEventTransport(
  options: { region: string; eventsEndpoint?: string },
  connections: ConnectionsRepository,
  logger?: Logger,
): EventTransport {
  if (!options.eventsEndpoint) return nullTransport;
  return new ApiGatewayTransport(
    createManagementClient(options.region, options.eventsEndpoint),
    connections,
    logger,
  );
}
