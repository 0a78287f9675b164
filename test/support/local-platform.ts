/**
 * `npm start` (services/local) run for the browser tests: the whole platform in a home of its
 * own, started the way a person starts it, stopped the way Ctrl-C stops it, and a picture of the
 * page left behind when a step fails.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { WITHOUT_RUNNER_BACKEND, spawnNode, type Spawned } from './processes.js';
import { waitFor } from './wait.js';

export const ROOT = resolve(import.meta.dirname, '../..');

export interface LocalPlatform<Outputs> {
  app: Spawned;
  home: string;
  /** `WardenLocal` of $WARDEN_HOME/outputs.json. */
  outputs: Outputs;
}

/** Starts `npm start`'s entry with `env` over the runner's own settings and waits for its banner. */
export async function startLocalPlatform<Outputs>(
  name: string,
  env: Record<string, string | undefined>,
): Promise<LocalPlatform<Outputs>> {
  if (!existsSync(join(ROOT, 'admin-ui/dist/index.html'))) {
    throw new Error('The admin app is not built: run `npm run build` first (npm test does)');
  }
  const home = mkdtempSync(join(tmpdir(), `warden-${name}-`));
  const app = spawnNode(join(ROOT, 'services/local/dist/main.js'), {
    WARDEN_HOME: home,
    ...WITHOUT_RUNNER_BACKEND,
    ...env,
  });
  const file = join(home, 'outputs.json');
  await waitFor(
    `the local stack to start (output so far: ${app.output().slice(-800)})`,
    () => existsSync(file) && /Press Ctrl-C/.test(app.output()),
    { timeoutMs: 90_000, intervalMs: 200 },
  );
  const outputs = JSON.parse(readFileSync(file, 'utf8')).WardenLocal as Outputs;
  return { app, home, outputs };
}

/** SIGTERM, as Ctrl-C; SIGKILL if it has not gone after 30 s; then its home is removed. */
export async function stopLocalPlatform(platform?: { app: Spawned; home: string }): Promise<void> {
  if (!platform) return;
  const { app, home } = platform;
  if (app.child.exitCode === null) {
    app.child.kill('SIGTERM');
    const exited = await Promise.race([
      app.exited.then(() => true),
      new Promise<boolean>((done) => setTimeout(() => done(false), 30_000)),
    ]);
    if (!exited) app.child.kill('SIGKILL');
  }
  rmSync(home, { recursive: true, force: true });
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
