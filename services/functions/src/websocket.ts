/**
 * The WebSocket API's Lambda handlers: the `$connect` authorizer (the token comes in the `token`
 * query parameter, since browsers cannot set headers on a WebSocket), `$connect`, `$disconnect`
 * and `$default` (answers a ping). Events reach clients the other way, through the management
 * API (core's ApiGatewayTransport). The local gateway invokes these same functions with events
 * of the same shape.
 */
import { AuthError, requireViewer, type Authenticator } from './auth.js';
import type { ControlPlaneDeps } from './deps.js';

/** The part of API Gateway's WebSocket request context the handlers read. */
export interface WebSocketRequestContext {
  routeKey: string;
  eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT';
  connectionId: string;
  domainName?: string;
  stage?: string;
  requestId?: string;
  connectedAt?: number;
  identity?: { sourceIp?: string; userAgent?: string };
  /** Set by the authorizer on `$connect`: its principalId and context. */
  authorizer?: { principalId?: string; [key: string]: unknown };
}

export interface WebSocketEvent {
  requestContext: WebSocketRequestContext;
  headers?: Record<string, string | undefined>;
  queryStringParameters?: Record<string, string | undefined> | null;
  body?: string | null;
  isBase64Encoded?: boolean;
}

export interface WebSocketResult {
  statusCode: number;
  body?: string;
}

/** A REQUEST authorizer's input for the `$connect` route. */
export interface ConnectAuthorizerEvent {
  type: 'REQUEST';
  methodArn: string;
  headers?: Record<string, string | undefined>;
  queryStringParameters?: Record<string, string | undefined> | null;
  requestContext?: Partial<WebSocketRequestContext>;
}

export interface AuthorizerResult {
  principalId: string;
  policyDocument: {
    Version: '2012-10-17';
    Statement: { Action: 'execute-api:Invoke'; Effect: 'Allow' | 'Deny'; Resource: string }[];
  };
  context?: Record<string, string | number | boolean>;
}

/**
 * API Gateway answers 401 when an authorizer throws exactly "Unauthorized", and 403 when it
 * returns a Deny policy. The local gateway maps them the same way.
 */
export const UNAUTHORIZED = 'Unauthorized';

const policy = (
  principalId: string,
  effect: 'Allow' | 'Deny',
  resource: string,
  context?: AuthorizerResult['context'],
): AuthorizerResult => ({
  principalId,
  policyDocument: {
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }],
  },
  ...(context ? { context } : {}),
});

export function createWebSocketHandlers(deps: ControlPlaneDeps) {
  const authenticator: Authenticator = deps.authenticator;

  return {
    async authorize(event: ConnectAuthorizerEvent): Promise<AuthorizerResult> {
      let principal;
      try {
        principal = await authenticator.authenticate(event.queryStringParameters?.token);
      } catch (error) {
        if (error instanceof AuthError) {
          deps.logger.info({ reason: error.message }, 'WebSocket connection refused');
          throw new Error(UNAUTHORIZED, { cause: error });
        }
        throw error;
      }
      // Events are reading: viewers may listen, a principal with no role may not.
      if (!principal.admin && !principal.viewer) {
        deps.logger.info({ principal: principal.id }, 'WebSocket connection denied: no role');
        return policy(principal.id, 'Deny', event.methodArn);
      }
      // The token's expiry travels to $connect, which stores it with the connection: the
      // publisher drops the connection once it passes (a JWT is checked only at the handshake).
      return policy(principal.id, 'Allow', event.methodArn, {
        principal: principal.id,
        ...(principal.expiresAt !== undefined ? { tokenExpiresAt: principal.expiresAt } : {}),
      });
    },

    async connect(event: WebSocketEvent): Promise<WebSocketResult> {
      const { connectionId } = event.requestContext;
      let principal = event.requestContext.authorizer?.principalId;
      const fromAuthorizer = Number(event.requestContext.authorizer?.tokenExpiresAt);
      let tokenExpiresAt = Number.isFinite(fromAuthorizer) ? fromAuthorizer : undefined;
      if (!principal) {
        // No authorizer in front (misconfigured route): check the token here rather than trust it.
        try {
          const checked = requireViewer(
            await authenticator.authenticate(event.queryStringParameters?.token),
            deps.config,
          );
          principal = checked.id;
          tokenExpiresAt = checked.expiresAt;
        } catch (error) {
          if (error instanceof AuthError) return { statusCode: error.status };
          throw error;
        }
      }
      await deps.repos.connections.add(connectionId, principal, tokenExpiresAt);
      deps.logger.debug({ connectionId, principal }, 'WebSocket connected');
      return { statusCode: 200 };
    },

    async disconnect(event: WebSocketEvent): Promise<WebSocketResult> {
      await deps.repos.connections.remove(event.requestContext.connectionId);
      deps.logger.debug({ connectionId: event.requestContext.connectionId }, 'WebSocket closed');
      return { statusCode: 200 };
    },

    async message(event: WebSocketEvent): Promise<WebSocketResult> {
      let parsed: { type?: unknown; action?: unknown } = {};
      try {
        const text = event.isBase64Encoded
          ? Buffer.from(event.body ?? '', 'base64').toString()
          : (event.body ?? '');
        parsed = JSON.parse(text) as typeof parsed;
      } catch {
        // Not JSON: answered below like any other unknown message.
      }
      if (parsed?.type === 'ping' || parsed?.action === 'ping') {
        return {
          statusCode: 200,
          body: JSON.stringify({ type: 'pong', at: new Date(deps.clock()).toISOString() }),
        };
      }
      return {
        statusCode: 400,
        body: JSON.stringify({
          type: 'error',
          message: 'Only {"type":"ping"} is accepted; events are pushed by the server',
        }),
      };
    },
  };
}

export type WebSocketHandlers = ReturnType<typeof createWebSocketHandlers>;
