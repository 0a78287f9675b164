/**
 * The control plane of the local stack: the admin API on Node, the local WebSocket gateway and
 * the circuit-breaker scheduler, all running the same handler code as the Lambdas in AWS.
 */
import { randomBytes } from 'node:crypto';
import {
  EnvReader,
  envParsers,
  loadControlPlaneConfig,
  type ControlPlaneConfig,
  type Logger,
} from '@warden/core';
import {
  createAdminApp,
  createControlPlaneDeps,
  createWebSocketHandlers,
  runSweep,
  type ControlPlaneDeps,
  type DepsOverrides,
  type MetricsSink,
  type SweepResult,
} from '@warden/functions';
import { startApiServer } from './api-server.js';
import type { Component, LocalContext } from './component.js';
import { startScheduler } from './scheduler.js';
import { LocalWorkerStopper } from './worker-signal.js';
import { startLocalGateway } from './ws-gateway.js';

export interface ControlPlaneOptions {
  /** Backend environment: AWS endpoints and credentials, table names, queue URLs. */
  env: Record<string, string | undefined>;
  logger: Logger;
  /** Generated when absent (and neither env nor WARDEN_ADMIN_TOKEN set one). */
  adminToken?: string;
  /** The read-only token; generated when absent (and WARDEN_VIEWER_TOKEN did not set one). */
  viewerToken?: string;
  apiPort?: number;
  wsPort?: number;
  /** Origins allowed by CORS besides WARDEN_CORS_ORIGIN. */
  extraCorsOrigins?: string[];
  /** Run the breaker on a timer (default); tests may prefer to call `sweep()` themselves. */
  schedule?: boolean;
  metrics?: MetricsSink;
  overrides?: DepsOverrides;
}

export interface RunningControlPlane {
  apiUrl: string;
  webSocketUrl: string;
  /**
   * The gateway's management endpoint: WARDEN_EVENTS_ENDPOINT for every publisher. It carries the
   * stack's secret (refused without it), so only WARDEN_* settings hold it, never runners.
   */
  eventsEndpoint: string;
  /** The same with the secret elided, for the banner. */
  eventsEndpointForDisplay: string;
  adminToken: string;
  adminTokenSource: 'WARDEN_ADMIN_TOKEN' | 'generated';
  /** Reads everything, changes nothing (the viewer role). */
  viewerToken: string;
  viewerTokenSource: 'WARDEN_VIEWER_TOKEN' | 'generated';
  config: ControlPlaneConfig;
  deps: ControlPlaneDeps;
  /** Ids of the WebSocket connections the gateway holds open. */
  openConnections(): string[];
  /** Runs one circuit-breaker sweep now (the scheduler runs the same function). */
  sweep(): Promise<SweepResult>;
  stop(): Promise<void>;
}

/** A port setting, when set; 0 picks a free one. */
function port(env: Record<string, string | undefined>, name: string): number | undefined {
  const reader = new EnvReader(env);
  const value = reader.optional(name, envParsers.integer(0, 65535));
  reader.done();
  return value;
}

export async function runControlPlane(options: ControlPlaneOptions): Promise<RunningControlPlane> {
  const { logger } = options;
  const given = options.adminToken ?? options.env.WARDEN_ADMIN_TOKEN;
  const adminToken = given || randomBytes(24).toString('base64url');
  const givenViewer = options.viewerToken ?? options.env.WARDEN_VIEWER_TOKEN;
  const viewerToken = givenViewer || randomBytes(24).toString('base64url');
  const gateway = await startLocalGateway({
    logger: logger.child({ part: 'ws-gateway' }),
    port: options.wsPort ?? port(options.env, 'WARDEN_WS_PORT'),
  });
  let deps: ControlPlaneDeps | undefined;
  try {
    const config = loadControlPlaneConfig({
      ...options.env,
      WARDEN_AUTH_MODE: options.env.WARDEN_AUTH_MODE ?? 'token',
      WARDEN_ADMIN_TOKEN: adminToken,
      WARDEN_VIEWER_TOKEN: viewerToken,
      WARDEN_EVENTS_ENDPOINT: gateway.callbackUrl,
    });
    const built = createControlPlaneDeps(config, 'control-plane', {
      logger,
      stopper: new LocalWorkerStopper(),
      ...options.overrides,
    });
    deps = built;
    gateway.setHandlers(createWebSocketHandlers(built));
    const app = createAdminApp(built, {
      corsOrigins: [config.corsOrigin, ...(options.extraCorsOrigins ?? [])],
    });
    const api = await startApiServer(app, {
      port: options.apiPort ?? port(options.env, 'WARDEN_API_PORT'),
    });
    const metrics: MetricsSink =
      options.metrics ??
      ((line) => logger.debug({ emf: JSON.parse(line) as unknown }, 'sweep metrics'));
    const sweep = () => runSweep(built, { metrics });
    const scheduler =
      options.schedule === false
        ? undefined
        : startScheduler({
            name: 'circuit-breaker',
            intervalMs: config.circuitBreakerIntervalMs,
            task: sweep,
            logger,
          });
    return {
      apiUrl: api.url,
      webSocketUrl: gateway.url,
      eventsEndpoint: gateway.callbackUrl,
      eventsEndpointForDisplay: gateway.callbackUrlForDisplay,
      adminToken,
      adminTokenSource: given ? 'WARDEN_ADMIN_TOKEN' : 'generated',
      viewerToken,
      viewerTokenSource: givenViewer ? 'WARDEN_VIEWER_TOKEN' : 'generated',
      config,
      deps: built,
      openConnections: () => gateway.openConnections(),
      sweep,
      async stop() {
        await scheduler?.stop();
        await api.stop();
        await gateway.stop();
        built.destroy();
      },
    };
  } catch (error) {
    await gateway.stop();
    deps?.destroy();
    throw error;
  }
}

/** `npm start`'s control plane; workers started after it publish events through its gateway. */
export async function startControlPlane(context: LocalContext): Promise<Component | undefined> {
  const running = await runControlPlane({
    env: { ...process.env, ...context.env },
    logger: context.logger.child({ component: 'control-plane' }),
  });
  context.env.WARDEN_EVENTS_ENDPOINT = running.eventsEndpoint;
  const seconds = running.config.circuitBreakerIntervalMs / 1000;
  return {
    name: 'control-plane',
    banner: [
      `  Admin API  ${running.apiUrl}/api  (Authorization: Bearer <admin token>)`,
      `  WebSocket  ${running.webSocketUrl}?token=<admin token>`,
      `  Events     ${running.eventsEndpointForDisplay}/@connections/{id}  (management endpoint; the secret is in WARDEN_EVENTS_ENDPOINT)`,
      `  Token      ${running.adminToken}  (${running.adminTokenSource === 'generated' ? 'generated for this run; set WARDEN_ADMIN_TOKEN to choose one' : 'from WARDEN_ADMIN_TOKEN'})`,
      `  Viewer     ${running.viewerToken}  (read-only; ${running.viewerTokenSource === 'generated' ? 'generated for this run; set WARDEN_VIEWER_TOKEN to choose one' : 'from WARDEN_VIEWER_TOKEN'})`,
      `  Breaker    sweeps every ${seconds} s (CIRCUIT_BREAKER_INTERVAL_SECONDS)`,
    ],
    outputs: {
      ApiUrl: running.apiUrl,
      WebSocketUrl: running.webSocketUrl,
      AdminToken: running.adminToken,
      ViewerToken: running.viewerToken,
    },
    stop: () => running.stop(),
  };
}
