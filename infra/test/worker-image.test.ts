/**
 * The worker image recipe (services/worker/Dockerfile), checked without a container engine:
 * Node 24 in every stage, a non-root user, `node` itself as PID 1, and a build context — staged
 * exactly as `npm run image` and CDK stage it — that holds every file the Dockerfile copies.
 * (test/container builds and runs the image itself.)
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WORKER_NODE_FLAGS } from '@warden/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, WORKER_DOCKERFILE } from '../lib/paths.js';
import { stageWorkerImage } from '../lib/worker-image.js';

const dockerfile = readFileSync(join(REPO_ROOT, WORKER_DOCKERFILE), 'utf8');
/** Instructions with line continuations joined and comments dropped. */
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'));
const stages = instructions.reduce<string[][]>((all, line) => {
  if (/^FROM\s/i.test(line)) all.push([line]);
  else all.at(-1)?.push(line);
  return all;
}, []);
const finalStage = stages.at(-1)!;
const nodeImage = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1];

let context: string;
beforeAll(() => {
  // Staged exactly as `npm run image` and `cdk deploy` stage it (samples as the workflows).
  context = mkdtempSync(join(tmpdir(), 'warden-worker-context-'));
  stageWorkerImage(context, {});
}, 60_000);
afterAll(() => rmSync(context, { recursive: true, force: true }));

describe('worker Dockerfile', () => {
  it('builds in several stages, every one on Node 24', () => {
    expect(nodeImage).toMatch(/^node:24[.\w-]*$/);
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage[0]).toMatch(/^FROM \$\{NODE_IMAGE\}/);
  });

  it('runs as the unprivileged node user', () => {
    const users = finalStage.filter((line) => /^USER\s/i.test(line));
    expect(users).toEqual(['USER node']);
  });

  it('makes node itself PID 1 (exec form, no shell, no init wrapper)', () => {
    const cmd = finalStage.filter((line) => /^CMD\s/i.test(line));
    // The orchestrator's V8 flags are the ones the local launcher and the tests use.
    const argv = ['node', ...WORKER_NODE_FLAGS, 'services/worker/dist/main.js'];
    expect(cmd).toEqual([`CMD [${argv.map((arg) => JSON.stringify(arg)).join(', ')}]`]);
    expect(finalStage.some((line) => /^ENTRYPOINT\s/i.test(line))).toBe(false);
    // The entry point the image runs is the worker's main module.
    expect(existsSync(join(REPO_ROOT, 'services/worker/src/main.ts'))).toBe(true);
  });

  it('keeps only production dependencies in the final image', () => {
    expect(instructions.join('\n')).toMatch(/npm ci --omit=dev/);
    expect(finalStage.join('\n')).not.toMatch(/npm (ci|install)/);
  });

  it('finds every file it copies in the filtered build context', () => {
    const copies = instructions
      .filter((line) => /^COPY\s/i.test(line) && !/--from=/.test(line))
      .flatMap((line) => line.split(/\s+/).slice(1, -1));
    expect(copies.length).toBeGreaterThan(5);
    for (const source of copies) {
      expect(existsSync(join(context, source)), `${source} in the build context`).toBe(true);
    }
    expect(existsSync(join(context, WORKER_DOCKERFILE))).toBe(true);
    // Without a folder of its own, the image carries the sample workflows as its workflows.
    expect(existsSync(join(context, 'workflows/echo.mjs'))).toBe(true);
  });

  it('copies the manifest of every npm workspace (npm ci checks them against the lock file)', () => {
    const workspaces = (
      JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { workspaces: string[] }
    ).workspaces;
    const copied = instructions.filter((line) => /^COPY\s/i.test(line) && !/--from=/.test(line));
    for (const workspace of workspaces) {
      expect(
        copied.some((line) => line.includes(`${workspace}/package.json`)),
        `${workspace}/package.json is copied in the build stage`,
      ).toBe(true);
    }
  });

  it('sends no dependencies, build output or unrelated services to the builder', () => {
    for (const path of [
      'node_modules',
      'services/core/node_modules',
      'services/core/dist',
      'services/functions/src',
      'admin-ui/src',
      'infra/lib',
      '.git',
      'cdk.out',
    ]) {
      expect(existsSync(join(context, path)), path).toBe(false);
    }
  });
});
