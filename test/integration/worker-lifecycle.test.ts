/**
 * The worker's life and death with real processes: kill -9 mid-execution, SIGTERM drains, and
 * refusing to start with a bad setting or a broken workflow module.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { isAlive } from '../support/processes.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';
import {
  MODES,
  FAST_WORKER_ENV,
  WORKER_MAIN,
  killAllWorkers,
  startWorker,
  submit,
  waitForStatus,
  waitForTerminal,
} from '../support/worker-process.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await killAllWorkers();
  await stack?.stop();
});

describe.each(MODES)('%s mode', (mode) => {
  it('kill -9 of the whole worker mid-execution: the message comes back and a new worker completes it as attempt 2', async () => {
    const first = startWorker(stack, { mode });
    await first.online();
    const id = await submit(stack, 'slow-healthy', { input: { ms: 3000 } });
    const running = await waitForStatus(stack, id, 'RUNNING');
    expect(running).toMatchObject({ attempt: 1, workerId: first.workerId });
    first.killTree();
    await first.exited;

    const second = startWorker(stack, { mode });
    await second.online();
    const record = await waitForTerminal(stack, id, 30_000);
    expect(record).toMatchObject({ status: 'SUCCESS', attempt: 2, workerId: second.workerId });
    await second.stop();
  });

  it('SIGTERM drains: a running execution finishes, the worker deregisters and exits 0 within the deadline', async () => {
    const worker = startWorker(stack, { mode, env: { WORKER_SHUTDOWN_DEADLINE_SECONDS: '15' } });
    await worker.online();
    const id = await submit(stack, 'slow-healthy', { input: { ms: 2500 } });
    await waitForStatus(stack, id, 'RUNNING');
    const signalledAt = Date.now();
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalledAt).toBeLessThan(15_000);
    expect(await waitForTerminal(stack, id)).toMatchObject({ status: 'SUCCESS', attempt: 1 });
    const record = await stack.repos.workers.get(worker.workerId);
    expect(record).toMatchObject({ status: 'OFFLINE', processes: [] });
    expect(worker.output()).toContain('worker offline');
  });

  it('SIGTERM with work that cannot finish before the deadline: the message goes back at once and another worker runs it', async () => {
    const worker = startWorker(stack, { mode, env: { WORKER_SHUTDOWN_DEADLINE_SECONDS: '3' } });
    await worker.online();
    const id = await submit(stack, 'slow-healthy', { input: { ms: 5000 } });
    await waitForStatus(stack, id, 'RUNNING');
    const signalledAt = Date.now();
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalledAt).toBeLessThan(3500);
    // Visible again right away, not after a visibility timeout.
    const { Attributes } = await stack.clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: stack.queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    expect(Number(Attributes?.ApproximateNumberOfMessages)).toBe(1);
    expect((await stack.repos.workers.get(worker.workerId))?.status).toBe('OFFLINE');

    const next = startWorker(stack, { mode });
    await next.online();
    expect(await waitForTerminal(stack, id, 20_000)).toMatchObject({
      status: 'SUCCESS',
      attempt: 2,
      workerId: next.workerId,
    });
    await next.stop();
  });
});

describe('start-up checks', () => {
  it.each(['0', 'abc'])(
    'refuses WORKER_THREAD_POOL_SIZE=%s with a message naming it and a non-zero exit',
    async (value) => {
      const worker = startWorker(stack, {
        mode: 'thread',
        env: { WORKER_THREAD_POOL_SIZE: value },
      });
      const { code } = await worker.exited;
      expect(code).toBe(1);
      expect(worker.output()).toContain(
        `WORKER_THREAD_POOL_SIZE="${value}" is not valid: expected an integer from 1 to 64`,
      );
      expect(await stack.repos.workers.get(worker.workerId)).toBeUndefined();
    },
  );

  it('refuses a workflow module that fails to load and two modules with one id, naming the files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-workflows-'));
    writeFileSync(join(dir, 'a.mjs'), "export default { id: 'same', run: () => 1 };\n");
    writeFileSync(join(dir, 'b.mjs'), "export default { id: 'same', run: () => 2 };\n");
    writeFileSync(join(dir, 'broken.mjs'), 'export default {;\n');
    writeFileSync(join(dir, 'shape.mjs'), "export default { id: 'no run here' };\n");
    const worker = startWorker(stack, { mode: 'process', env: { WORKFLOWS_DIR: dir } });
    const { code } = await worker.exited;
    expect(code).toBe(1);
    const output = worker.output();
    expect(output).toContain(`Could not load the workflows in ${dir} (WORKFLOWS_DIR)`);
    expect(output).toContain('b.mjs: workflow id "same" is already defined by a.mjs');
    expect(output).toMatch(/broken\.mjs: failed to load: SyntaxError/);
    expect(output).toContain('shape.mjs: id "no run here" is not valid');
    expect(output).toContain('run must be a function');
  });
});

describe('a parent that dies', () => {
  it('takes the worker with it even when it dies while the worker is still starting', async () => {
    // A parent (as `npm start` is) that spawns a worker with an IPC channel and dies at once,
    // before the worker has loaded its workflows.
    const parent = spawnSync(
      process.execPath,
      [
        '-e',
        `const { spawn } = require('node:child_process');
         const child = spawn(process.execPath, [${JSON.stringify(WORKER_MAIN)}], {
           stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
           detached: true,
           env: { ...process.env, WARDEN_PARENT_PID: String(process.pid) },
         });
         process.stdout.write(String(child.pid));
         process.exit(0);`,
      ],
      {
        env: {
          ...process.env,
          ...stack.env,
          ...FAST_WORKER_ENV,
          USE_THREAD_WORKERS: 'true',
          WORKER_ID: 'orphan',
        },
        encoding: 'utf8',
      },
    );
    const pid = Number(parent.stdout);
    expect(pid).toBeGreaterThan(0);
    try {
      await waitFor('the orphaned worker to exit', () => !isAlive(pid), { timeoutMs: 20_000 });
    } finally {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // Gone, as it should be.
      }
    }
  });
});
