/**
 * What a workflow may see, under `npm start` in both executor modes: the env-report sample runs
 * in a real runner (a forked child, or a thread of a pool process) and returns the names in its
 * environment and the AWS access key id it would use. No WARDEN_* setting (the admin token among
 * them) reaches it, nor the worker's access key; the operator's WORKFLOW_ENV_ALLOW names do.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ExecutionResponse } from '@warden/core';
import { adminApi, killLocalPlatforms, startLocalPlatform } from '../support/local-platform.js';
import { waitFor } from '../support/wait.js';

const WORKER_ACCESS_KEY = 'worker-key-for-this-test';

afterEach(killLocalPlatforms);

describe.each(['true', 'false'])('a workflow under npm start (USE_THREAD_WORKERS=%s)', (thread) => {
  it('sees only the allow-listed environment and the workflow credentials', async () => {
    const { outputs } = await startLocalPlatform('workflow-env', {
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
    const api = adminApi(outputs);
    // The catalog is what the worker registered: wait for it to know env-report.
    await waitFor('the worker to register', async () => {
      const { body } = await api<{ workflows: { id: string }[] }>('GET', '/api/workflows');
      return body.workflows.some((w) => w.id === 'env-report');
    });
    const {
      body: { execution },
    } = await api<ExecutionResponse>('POST', '/api/executions', { workflowId: 'env-report' });
    const done = await waitFor('the env-report execution to succeed', async () => {
      const { body } = await api<ExecutionResponse>(
        'GET',
        `/api/executions/${execution.executionId}`,
      );
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
