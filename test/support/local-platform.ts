/**
 * `npm start` (services/local) run for the browser tests: the whole platform in a home of its
 * own, started the way a person starts it, stopped the way Ctrl-C stops it, and a picture of the
 * page left behind when a step fails.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import type { TableName } from '@warden/core';
import {
  WITHOUT_RUNNER_BACKEND,
  descendants,
  freePort,
  spawnNode,
  type Spawned,
} from './processes.js';
import { waitFor } from './wait.js';

export const ROOT = resolve(import.meta.dirname, '../..');

/**
 * Where the browser tests write the screenshots the docs show: test-results/ in a normal run (so
 * `npm test` leaves the work tree clean), over docs/screenshots/ with WARDEN_UPDATE_SCREENSHOTS=1.
 */
export const SCREENSHOTS = join(
  ROOT,
  process.env.WARDEN_UPDATE_SCREENSHOTS === '1' ? 'docs/screenshots' : 'test-results',
);

/** How long a browser step may wait for the page: generous, as the machine is shared. */
export const UI_TIMEOUT = 30_000;

/**
 * What `npm start` writes under `WardenLocal` in $WARDEN_HOME/outputs.json, as a whole stack
 * (control plane, workers, admin app) always writes it.
 */
export interface LocalOutputs {
  Region: string;
  QueueUrl: string;
  DeadLetterQueueUrl: string;
  AwsEndpoints: { sqs: string; dynamodb: string };
  Tables: Record<TableName, string>;
  ApiUrl: string;
  WebSocketUrl: string;
  AdminUrl: string;
  AdminToken: string;
  ViewerToken: string;
  Workers: { workerId: string; pid: number; mode: string }[];
  WorkerEnvironment: Record<string, string>;
}

export interface LocalPlatform<Outputs = LocalOutputs> {
  app: Spawned;
  home: string;
  /** `WardenLocal` of $WARDEN_HOME/outputs.json. */
  outputs: Outputs;
  /** Path of that file. */
  outputsFile: string;
}

export interface StartOptions {
  /** Leave $WARDEN_HOME for the stack to create, as in a fresh clone (default: created here). */
  homeMadeByStack?: boolean;
}

/** Stacks started and not yet stopped, with the directory to remove after each. */
const started = new Map<Spawned, string>();

/**
 * Spawns `npm start`'s entry in a home of its own, on a free admin port and with none of the
 * runner's backend settings or WORKER_ID, then `env` over that. It does not wait: for a test of a
 * start that must fail.
 */
export async function launchLocalPlatform(
  name: string,
  env: Record<string, string | undefined>,
  options: StartOptions = {},
): Promise<Omit<LocalPlatform, 'outputs'>> {
  if (!existsSync(join(ROOT, 'admin-ui/dist/index.html'))) {
    throw new Error('The admin app is not built: run `npm run build` first (npm test does)');
  }
  const parent = mkdtempSync(join(tmpdir(), `warden-${name}-`));
  const home = options.homeMadeByStack ? join(parent, '.warden') : parent;
  const app = spawnNode(join(ROOT, 'services/local/dist/main.js'), {
    WARDEN_HOME: home,
    WARDEN_ADMIN_PORT: String(await freePort()),
    ...WITHOUT_RUNNER_BACKEND,
    WORKER_ID: undefined,
    ...env,
  });
  started.set(app, parent);
  return { app, home, outputsFile: join(home, 'outputs.json') };
}

/** launchLocalPlatform, then waits for the banner and reads what the stack wrote. */
export async function startLocalPlatform<Outputs = LocalOutputs>(
  name: string,
  env: Record<string, string | undefined>,
  options: StartOptions = {},
): Promise<LocalPlatform<Outputs>> {
  const { app, home, outputsFile } = await launchLocalPlatform(name, env, options);
  await waitFor(
    () => `the local stack to start (output so far: ${app.output().slice(-800)})`,
    () => existsSync(outputsFile) && /Press Ctrl-C/.test(app.output()),
    { timeoutMs: 90_000, intervalMs: 200 },
  );
  const outputs = JSON.parse(readFileSync(outputsFile, 'utf8')).WardenLocal as Outputs;
  return { app, home, outputs, outputsFile };
}

/** SIGTERM, as Ctrl-C; SIGKILL if it has not gone after 30 s; then its home is removed. */
export async function stopLocalPlatform(platform?: { app: Spawned; home: string }): Promise<void> {
  if (!platform) return;
  const { app, home } = platform;
  const dir = started.get(app) ?? home;
  started.delete(app);
  if (app.child.exitCode === null) {
    app.child.kill('SIGTERM');
    const exited = await Promise.race([
      app.exited.then(() => true),
      new Promise<boolean>((done) => setTimeout(() => done(false), 30_000)),
    ]);
    if (!exited) app.child.kill('SIGKILL');
  }
  rmSync(dir, { recursive: true, force: true });
}

/**
 * For `afterEach` in a file that starts stacks: SIGKILLs every stack still running with every
 * process it started (a test that checks a clean stop stops its stack itself), and removes homes.
 */
export async function killLocalPlatforms(): Promise<void> {
  for (const [app, dir] of [...started]) {
    started.delete(app);
    if (app.child.exitCode === null) {
      for (const pid of descendants(app.child.pid!)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Gone already.
        }
      }
      app.child.kill('SIGKILL');
    }
    await app.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The admin API of a started stack, called with its admin token. */
export function adminApi(outputs: { ApiUrl: string; AdminToken: string }) {
  return async <T>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${outputs.ApiUrl}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${outputs.AdminToken}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as T };
  };
}

/** For `afterEach`: a failed step leaves a picture of the page for whoever reads the failure. */
export async function screenshotIfFailed(
  page: Page | undefined,
  state: string | undefined,
  testName: string,
  prefix: string,
): Promise<void> {
  if (state !== 'fail' || !page) return;
  const dir = join(ROOT, 'test-results');
  mkdirSync(dir, { recursive: true });
  const name = testName.replace(/[^a-z0-9]+/gi, '-').slice(0, 80);
  await page
    .screenshot({ path: join(dir, `${prefix}-${name}.png`), fullPage: true })
    .catch(() => undefined);
}
