/**
 * What a workflow may see, under `npm start` in both executor modes: the env-report sample runs
 * in a real runner (a forked child, or a thread of a pool process) and returns the names in its
 * environment and the AWS access key id it would use. No WARDEN_* setting (the admin token among
 * them) reaches it, nor the worker's access key; the operator's WORKFLOW_ENV_ALLOW names do.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExecutionResponse } from '@warden/core';
import {
  WITHOUT_RUNNER_BACKEND,
  descendants,
  freePort,
  spawnNode,
  type Spawned,
} from '../support/processes.js';
import { waitFor } from '../support/wait.js';

const MAIN = 'services/local/dist/main.js';
const WORKER_ACCESS_KEY = 'worker-key-for-this-test';
const running: Spawned[] = [];

afterEach(async () => {
  for (const spawned of running.splice(0)) {
    for (const pid of descendants(spawned.child.pid!)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    if (spawned.child.exitCode === null) spawned.child.kill('SIGKILL');
    await spawned.exited;
  }
});

describe.each(['true', 'false'])('a workflow under npm start (USE_THREAD_WORKERS=%s)', (thread) => {
  it('sees only the allow-listed environment and the workflow credentials', async () => {
    const home = mkdtempSync(join(tmpdir(), 'warden-home-'));
    const app = spawnNode(MAIN, {
      WARDEN_HOME: home,
      WARDEN_ADMIN_PORT: String(await freePort()),
      ...WITHOUT_RUNNER_BACKEND,
      WORKER_ID: undefined,
      WARDEN_WORKERS: '1',
      USE_THREAD_WORKERS: thread,
      WORKER_THREAD_POOL_SIZE: '1',
      WORKER_POLL_WAIT_SECONDS: '1',
      AWS_ACCESS_KEY_ID: WORKER_ACCESS_KEY,
      AWS_SECRET_ACCESS_KEY: 'worker-secret-for-this-test',
      TZ: 'UTC',
      TEAM_COLOR: 'blue',
      NOT_FOR_WORKFLOWS: 'hidden',
      WORKFLOW_ENV_ALLOW: 'TEAM_COLOR',
    });
    running.push(app);
    const file = join(home, 'outputs.json');
    await waitFor(
      `the stack to start (output so far: ${app.output().slice(-800)})`,
      () => existsSync(file) && /Press Ctrl-C/.test(app.output()),
      { timeoutMs: 90_000 },
    );
    const outputs = JSON.parse(readFileSync(file, 'utf8')).WardenLocal as {
      ApiUrl: string;
      AdminToken: string;
    };
    const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      const response = await fetch(`${outputs.ApiUrl}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${outputs.AdminToken}`,
          ...(body ? { 'Content-Type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
      return (await response.json()) as T;
    };
    // The catalog is what the worker registered: wait for it to know env-report.
    await waitFor('the worker to register', async () => {
      const { workflows } = await api<{ workflows: { id: string }[] }>('GET', '/api/workflows');
      return workflows.some((w) => w.id === 'env-report');
    });
    const { execution } = await api<ExecutionResponse>('POST', '/api/executions', {
      workflowId: 'env-report',
    });
    const done = await waitFor('the env-report execution to succeed', async () => {
      const body = await api<ExecutionResponse>('GET', `/api/executions/${execution.executionId}`);
      return body.execution.status === 'SUCCESS' ? body.execution : undefined;
    });
    const seen = done.output as { names: string[]; awsAccessKeyId: string | null };

    expect(seen.names.filter((name) => name.startsWith('WARDEN_'))).toEqual([]);
    expect(seen.names.filter((name) => name.startsWith('WORKFLOW_'))).toEqual([]);
    expect(seen.awsAccessKeyId).not.toBe(WORKER_ACCESS_KEY);
    expect(seen.awsAccessKeyId).toBe('workflow-local');
    expect(seen.names).toEqual(expect.arrayContaining(['AWS_REGION', 'TZ', 'TEAM_COLOR']));
    expect(seen.names).not.toContain('NOT_FOR_WORKFLOWS');
    expect(seen.names).not.toContain('PATH');
  });
});
