/**
 * Where the things the app deploys live in the repository. Paths are found from this file's
 * location (by walking up to `cdk.json`), so the app works from `infra/lib` under a test runner
 * and from `infra/dist/lib` when compiled, whatever the working directory.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRepoRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, 'cdk.json'))) {
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error(`no cdk.json above ${start}: cannot find the repository root`);
    dir = parent;
  }
  return dir;
}

export const REPO_ROOT = findRepoRoot(dirname(fileURLToPath(import.meta.url)));

export interface HandlerEntry {
  /** TypeScript entry file, bundled with the local esbuild at synth. */
  entry: string;
  /** The exported function Lambda calls. */
  handler: string;
}

const functionsSource = (file: string): string => join(REPO_ROOT, 'services/functions/src', file);

/** The Lambda handlers of `services/functions` (one file may export several). */
export const HANDLERS = {
  circuitBreaker: { entry: functionsSource('lambda/circuit-breaker.ts'), handler: 'handler' },
  adminApi: { entry: functionsSource('lambda/admin-api.ts'), handler: 'handler' },
  wsAuthorizer: { entry: functionsSource('lambda/websocket.ts'), handler: 'authorizerHandler' },
  wsConnect: { entry: functionsSource('lambda/websocket.ts'), handler: 'connectHandler' },
  wsDisconnect: { entry: functionsSource('lambda/websocket.ts'), handler: 'disconnectHandler' },
  wsDefault: { entry: functionsSource('lambda/websocket.ts'), handler: 'defaultHandler' },
} as const satisfies Record<string, HandlerEntry>;

export type HandlerName = keyof typeof HANDLERS;

export const WORKER_DOCKERFILE = 'services/worker/Dockerfile';
export const WORKER_DOCKERIGNORE = join(REPO_ROOT, 'services/worker/.dockerignore');
export const ADMIN_UI_DIST = join(REPO_ROOT, 'admin-ui/dist');
export const LOCK_FILE = join(REPO_ROOT, 'package-lock.json');
