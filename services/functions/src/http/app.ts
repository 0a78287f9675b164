/**
 * The admin HTTP API: one Hono app, served by a Lambda behind API Gateway (admin-api.ts) and by
 * Node in the local stack. Every /api route needs a bearer token checked by the configured
 * authenticator; a read needs the viewer or admin role and anything else the admin role, decided
 * by method here for every route at once. Every mutation is recorded in the audit trail.
 * Errors are always `{ error: { code, message, field? } }`.
 */
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { AuthError, bearerToken, requireAdmin, requireViewer } from '../auth.js';
import type { ControlPlaneDeps } from '../deps.js';
import { auditTrail, isMutation } from './audit.js';
import { ApiError } from './errors.js';
import type { AppEnv } from './env.js';
import { auditRoutes } from './routes/audit.js';
import { blacklistRoutes } from './routes/blacklist.js';
import { configRoutes } from './routes/config.js';
import { executionRoutes } from './routes/executions.js';
import { deadLetterRoutes } from './routes/dead-letters.js';
import { pauseRoutes } from './routes/pauses.js';
import { meRoutes } from './routes/me.js';
import { queueRoutes } from './routes/queue.js';
import { rolloutRoutes } from './routes/rollout.js';
import { stuckRoutes } from './routes/stuck.js';
import { workerRoutes } from './routes/workers.js';
import { workflowRoutes } from './routes/workflows.js';

export interface AdminAppOptions {
  /** Origins allowed by CORS; defaults to WARDEN_CORS_ORIGIN. */
  corsOrigins?: string[];
}

export function createAdminApp(
  deps: ControlPlaneDeps,
  options: AdminAppOptions = {},
): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.onError((error, c) => {
    if (error instanceof ApiError) return c.json(error.toBody(), error.status);
    if (error instanceof AuthError) {
      if (error.status === 401) c.header('WWW-Authenticate', 'Bearer');
      return c.json(
        {
          error: {
            code: error.status === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN',
            message: error.message,
          },
        },
        error.status,
      );
    }
    deps.logger.error({ err: error, path: c.req.path, method: c.req.method }, 'request failed');
    return c.json(
      {
        error: {
          code: 'INTERNAL',
          message: 'The request failed inside the API; it was logged. Retry, or check the API logs',
        },
      },
      500,
    );
  });

  app.notFound((c) =>
    c.json(
      {
        error: {
          code: 'NOT_FOUND',
          message: `No route ${c.req.method} ${c.req.path}: the routes are listed in docs/api.md`,
        },
      },
      404,
    ),
  );

  app.use(
    '*',
    cors({
      origin: options.corsOrigins ?? [deps.config.corsOrigin],
      allowMethods: ['GET', 'POST', 'PUT', 'DELETE'],
      allowHeaders: ['Authorization', 'Content-Type', 'X-Request-Id'],
      exposeHeaders: ['Location', 'X-Request-Id'],
      maxAge: 600,
    }),
  );

  app.use('/api/*', async (c, next) => {
    const principal = await deps.authenticator.authenticate(
      bearerToken(c.req.header('Authorization')),
    );
    c.set('principal', principal);
    await next();
  });
  app.use('/api/*', auditTrail(deps));
  app.use('/api/*', async (c, next) => {
    const principal = c.get('principal');
    if (isMutation(c.req.method)) requireAdmin(principal, deps.config);
    else requireViewer(principal, deps.config);
    await next();
  });

  app.route('/api/platform/workers', workerRoutes(deps));
  app.route('/api/platform/queue', queueRoutes(deps));
  app.route('/api/platform/stuck-history', stuckRoutes(deps));
  app.route('/api/platform/blacklist', blacklistRoutes(deps));
  app.route('/api/platform/config', configRoutes(deps));
  app.route('/api/platform/rollout', rolloutRoutes(deps));
  app.route('/api/platform/workflows', pauseRoutes(deps));
  app.route('/api/platform/dead-letters', deadLetterRoutes(deps));
  app.route('/api/executions', executionRoutes(deps));
  app.route('/api/workflows', workflowRoutes(deps));
  app.route('/api/platform/audit', auditRoutes(deps));
  app.route('/api/me', meRoutes(deps));
  return app;
}
