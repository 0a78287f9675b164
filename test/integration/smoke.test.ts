/**
 * `npm run smoke` against real local stacks: it passes against `npm start` with its worker, and
 * against a stack with no worker it fails naming the missing worker. Also: a worker started
 * elsewhere with nothing but the stack's `WorkerEnvironment` joins it.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAwsClients, createRepositories, loadSharedConfig } from '@warden/core';
import { WardenClient } from '@warden/client';
import { WITHOUT_RUNNER_BACKEND, freePort, spawnNode, type Spawned } from '../support/processes.js';
import { workerRecord } from '../support/control-plane.js';
import { waitFor } from '../support/wait.js';

const running: Spawned[] = [];

interface Outputs {
  ApiUrl: string;
  AdminToken: string;
  WorkerEnvironment: Record<string, string>;
}

async function startStack(
  env: Record<string, string>,
): Promise<{ file: string; outputs: Outputs }> {
  const home = mkdtempSync(join(tmpdir(), 'warden-home-'));
  const app = spawnNode('services/local/dist/main.js', {
    ...WITHOUT_RUNNER_BACKEND,
    WARDEN_HOME: home,
    WARDEN_ADMIN_PORT: String(await freePort()),
    USE_THREAD_WORKERS: undefined,
    WORKFLOWS_DIR: undefined,
    ...env,
  });
  running.push(app);
  const file = join(home, 'outputs.json');
  await waitFor(
    () => `npm start (output so far: ${app.output().slice(-500)})`,
    () => existsSync(file) && /Press Ctrl-C/.test(app.output()),
    { timeoutMs: 60_000 },
  );
  return { file, outputs: JSON.parse(readFileSync(file, 'utf8')).WardenLocal as Outputs };
}

function smoke(file: string, ...args: string[]): Spawned {
  const spawned = spawnNode('scripts/smoke.mjs', { WARDEN_ADMIN_TOKEN: undefined }, [
    '--outputs',
    file,
    ...args,
  ]);
  running.push(spawned);
  return spawned;
}

afterEach(async () => {
  for (const spawned of running.splice(0).reverse()) {
    if (spawned.child.exitCode === null) spawned.child.kill('SIGTERM');
    await spawned.exited;
  }
});

describe('npm run smoke', () => {
  it('passes against npm start, printing each step with its timing, and removes what it added', async () => {
    const { file, outputs } = await startStack({
      CANCEL_GRACE_SECONDS: '1',
      WORKER_HEARTBEAT_INTERVAL_SECONDS: '1',
    });
    const run = smoke(file);
    expect(await run.exited, run.output()).toBe(0);
    const lines = run.output().split('\n');
    for (const step of [
      'the API refuses a request without a token',
      'the API answers with the token',
      'the WebSocket accepts the token',
      'an execution of echo ends SUCCESS',
      'a stuck cpu-spin is recorded and pushed over the WebSocket',
      'a blacklisted workflow (cpu-spin) is refused',
      'a recycle command is answered by its worker',
    ]) {
      expect(lines.some((line) => line.startsWith(`ok    ${step} (`) && / s\)/.test(line))).toBe(
        true,
      );
    }
    expect(run.output()).toContain('ok    cleanup: remove the smoke blacklist entry');
    const response = await fetch(`${outputs.ApiUrl}/api/platform/blacklist`, {
      headers: { authorization: `Bearer ${outputs.AdminToken}` },
    });
    expect(((await response.json()) as { entries: unknown[] }).entries).toEqual([]);
  }, 180_000);

  it('fails naming the missing worker against a stack with WARDEN_WORKERS=0', async () => {
    const { file } = await startStack({ WARDEN_WORKERS: '0' });
    const none = smoke(file, '--timeout', '3');
    expect(await none.exited).toBe(1);
    expect(none.output()).toMatch(
      /FAIL {2}an execution of echo ends SUCCESS \([\d.]+ s\): no worker took the execution: no worker is registered/,
    );
  }, 120_000);

  it('fails naming the wait when the only registered worker has gone', async () => {
    const { file, outputs } = await startStack({ WARDEN_WORKERS: '0' });
    // A worker that registered its catalog and then died without going OFFLINE (kill -9):
    // submissions are accepted and never taken.
    const env = outputs.WorkerEnvironment;
    const before = Object.keys(env).map((name) => [name, process.env[name]] as const);
    Object.assign(process.env, env); // the SDK reads its endpoints from the environment
    try {
      const clients = createAwsClients({ region: env.AWS_REGION! });
      const repos = createRepositories(clients.dynamo, loadSharedConfig(env).tables);
      const longAgo = new Date(Date.now() - 15 * 60_000).toISOString();
      await repos.workers.register(
        workerRecord('gone-1', { processes: [], startedAt: longAgo, lastHeartbeatAt: longAgo }),
      );
      clients.destroy();
    } finally {
      for (const [name, value] of before) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }

    const run = smoke(file, '--timeout', '3');
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain('no worker took the execution within 3 s');
    expect(run.output()).toMatch(/Smoke check FAILED after [\d.]+ s: an execution of echo ends/);
  }, 120_000);
});

describe('WorkerEnvironment', () => {
  it('is all a worker started elsewhere needs to join the stack', async () => {
    const { outputs } = await startStack({ WARDEN_WORKERS: '0' });
    // Only PATH and the outputs' environment: nothing inherited from this test or the stack.
    const worker = spawnNode(
      'services/worker/dist/main.js',
      Object.fromEntries([
        ...Object.keys(process.env).map((name) => [name, undefined]),
        ['PATH', process.env.PATH],
        ...Object.entries(outputs.WorkerEnvironment),
        ['WORKER_ID', 'joined-1'],
      ]),
    );
    running.push(worker);
    const client = new WardenClient({ apiUrl: outputs.ApiUrl, token: outputs.AdminToken });
    const joined = await waitFor('the worker online', async () => {
      const { workers } = await client.listWorkers();
      return workers.find((w) => w.workerId === 'joined-1' && w.status === 'ONLINE');
    });
    expect(joined.workflows?.length, worker.output()).toBeGreaterThan(0);
    const { execution } = await client.submitExecution({
      workflowId: 'echo',
      input: { joined: true },
    });
    const done = await waitFor('the execution to succeed', async () => {
      const { execution: now } = await client.getExecution(execution.executionId);
      return now.status === 'SUCCESS' && now;
    });
    expect(done).toMatchObject({ workerId: 'joined-1', output: { echo: { joined: true } } });
  }, 120_000);
});
