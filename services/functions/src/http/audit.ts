/**
 * The audit trail's middleware. It wraps every request that is not a read, whatever route
 * answers it, so a route added later is audited without a line of its own: the action is derived
 * from the route pattern, the target from the path parameters (or an id in the body), and the
 * outcome from the status the request ended with, a role refusal included.
 */
import { randomUUID } from 'node:crypto';
import type { AuditEntry, AuditOutcome } from '@warden/core';
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { roleOf } from '../auth.js';
import type { ControlPlaneDeps } from '../deps.js';
import type { AppEnv } from './env.js';

/** Methods that only read; everything else is a mutation, audited and reserved to admins. */
export const READ_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);
export const isMutation = (method: string): boolean => !READ_METHODS.has(method.toUpperCase());

/** Segments that only group routes and name no resource. */
const GROUPING = new Set(['api', 'platform']);
const METHOD_VERBS: Record<string, string> = {
  POST: 'create',
  PUT: 'update',
  PATCH: 'update',
  DELETE: 'delete',
};
/** A body larger than this is recorded as its size only. */
const MAX_BODY_BYTES = 2048;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function singular(word: string): string {
  if (word.endsWith('sses') || word.endsWith('xes')) return word.slice(0, -2);
  if (word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}

/**
 * `<resource>.<verb>` for a route pattern. A pattern that ends in a word after the resource
 * (`/workflows/:workflowId/pause`, `/dead-letters/redrive`) names its verb; otherwise the method
 * does (`POST /blacklist` is `blacklist.create`, `DELETE /blacklist/:workflowId` is
 * `blacklist.delete`, `PUT /config` is `config.update`).
 */
export function actionFor(method: string, pattern: string): string {
  const segments = pattern.split('/').filter((s) => s && !GROUPING.has(s) && s !== '*');
  const words = segments.filter((s) => !s.startsWith(':'));
  const last = segments.at(-1);
  if (words.length >= 2 && last && !last.startsWith(':')) {
    return `${singular(words.at(-2) as string)}.${words.at(-1)}`;
  }
  const resource = words.at(-1) ?? 'root';
  return `${singular(resource)}.${METHOD_VERBS[method.toUpperCase()] ?? method.toLowerCase()}`;
}

/** The path parameters of `path` under `pattern`, decoded. */
export function paramsFor(pattern: string, path: string): Record<string, string> {
  const names = pattern.split('/');
  const values = path.split('/');
  const params: Record<string, string> = {};
  names.forEach((name, i) => {
    const value = values[i];
    if (name.startsWith(':') && value !== undefined) {
      const key = name.slice(1).replace(/\{.*\}$/, '');
      try {
        params[key] = decodeURIComponent(value);
      } catch {
        params[key] = value;
      }
    }
  });
  return params;
}

export const outcomeFor = (status: number): AuditOutcome =>
  status < 400 ? 'success' : status === 401 || status === 403 ? 'denied' : 'failed';

function targetFor(params: Record<string, string>, body: unknown, action: string): string {
  const first = Object.values(params)[0];
  if (first) return first;
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
      if (/Id$/.test(key) && typeof value === 'string' && value) return value.slice(0, 256);
    }
  }
  return action.split('.')[0] as string;
}

async function readBody(c: Context): Promise<{ parsed: unknown; recorded: unknown }> {
  let text: string;
  try {
    // Hono caches the body, so the route reads the same text after this.
    text = await c.req.text();
  } catch {
    return { parsed: undefined, recorded: undefined };
  }
  if (!text.trim()) return { parsed: undefined, recorded: undefined };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const bytes = Buffer.byteLength(text);
  const recorded =
    bytes > MAX_BODY_BYTES
      ? { omitted: `body of ${bytes} bytes (recorded up to ${MAX_BODY_BYTES})` }
      : (parsed ?? { omitted: 'body is not JSON' });
  return { parsed, recorded };
}

/** The request id: the caller's X-Request-Id when well formed, API Gateway's, or a new one. */
function requestIdOf(c: Context<AppEnv>): string {
  const given = c.req.header('x-request-id');
  if (given && REQUEST_ID.test(given)) return given;
  const env = c.env as { event?: { requestContext?: { requestId?: unknown } } } | undefined;
  const gateway = env?.event?.requestContext?.requestId;
  if (typeof gateway === 'string' && REQUEST_ID.test(gateway)) return gateway;
  return randomUUID();
}

/**
 * Must run after authentication (an anonymous or forged request has no actor and is not
 * recorded; it changes nothing) and before the role check, so a refusal is recorded as denied.
 */
export function auditTrail(deps: ControlPlaneDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const requestId = requestIdOf(c);
    c.header('X-Request-Id', requestId);
    const method = c.req.method.toUpperCase();
    const route = matchedRoutes(c).findLast((r) => r.method.toUpperCase() === method);
    // Reads, and requests no route answers (a 404 changed nothing), are not recorded.
    if (!isMutation(method) || !route) return next();

    const action = actionFor(method, route.path);
    const params = paramsFor(route.path, c.req.path);
    const { parsed, recorded } = await readBody(c);
    await next();

    const status = c.res.status;
    const principal = c.get('principal');
    let message: string | undefined;
    if (status >= 400) {
      try {
        const body = (await c.res.clone().json()) as { error?: { message?: unknown } };
        if (typeof body.error?.message === 'string') message = body.error.message.slice(0, 1000);
      } catch {
        // Not JSON: the status says enough.
      }
    }
    const entry: Omit<AuditEntry, 'entryKey'> = {
      at: new Date(deps.clock()).toISOString(),
      requestId,
      actor: principal.id,
      actorRole: roleOf(principal),
      action,
      method,
      route: route.path,
      target: targetFor(params, parsed, action),
      ...(Object.keys(params).length ? { params } : {}),
      status,
      outcome: outcomeFor(status),
      ...(message ? { message } : {}),
      ...(recorded !== undefined ? { body: recorded } : {}),
    };
    try {
      await deps.repos.audit.append(entry);
    } catch (error) {
      // The action has happened and cannot be undone here: the entry goes to the error log in
      // full, where an operator can recover it, and the alarm on API errors sees it.
      deps.logger.error({ err: error, auditEntry: entry }, 'audit entry could not be written');
    }
  };
}
