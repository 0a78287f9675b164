/**
 * The worker's life and death with real processes: kill -9 mid-execution, recycle commands,
 * SIGTERM drains, and refusing to start with a bad setting or a broken workflow module.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { WorkerCommandsRepository, type ProcessSnapshot } from '@warden/core';
import { isAlive } from '../support/processes.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';
import {
  MODES,
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

async function processesOf(workerId: string): Promise<ProcessSnapshot[]> {
  return (await stack.repos.workers.get(workerId))?.processes ?? [];
}

async function recycle(workerId: string, pid: number, generation: number) {
  await stack.repos.commands.createRecycle({ workerId, pid, generation, requestedBy: 'test' });
  const commandId = WorkerCommandsRepository.recycleCommandId(pid, generation);
  return waitFor(`command ${commandId} to be handled`, async () => {
    const command = await stack.repos.commands.get(workerId, commandId);
    return command && command.status !== 'PENDING' ? command : undefined;
  });
}

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

describe('recycle commands', () => {
  it('thread mode: replaces the pool process at once; a command naming an old generation changes nothing', async () => {
    const worker = startWorker(stack, { mode: 'thread' });
    const online = await worker.online();
    const original = online.processes.find((p) => p.state === 'ACTIVE')!;
    const id = await submit(stack, 'slow-healthy', { input: { ms: 2500 } });
    await waitForStatus(stack, id, 'RUNNING');

    const done = await recycle(worker.workerId, original.pid, original.generation);
    expect(done.status).toBe('DONE');
    expect(done.outcome).toMatch(/PENDING_KILL.*replacement pid \d+ generation \d+ started/);
    const replacement = await waitFor(
      'a new ACTIVE process beside the PENDING_KILL one',
      async () => {
        const processes = await processesOf(worker.workerId);
        const old = processes.find((p) => p.pid === original.pid);
        const next = processes.find((p) => p.state === 'ACTIVE');
        return old?.state === 'PENDING_KILL' && next ? next : undefined;
      },
    );
    expect(replacement.pid).not.toBe(original.pid);
    expect(replacement.generation).toBe(original.generation + 1);

    // The healthy execution was not killed: it finishes, then the old process exits.
    expect(await waitForTerminal(stack, id)).toMatchObject({
      status: 'SUCCESS',
      pid: original.pid,
    });
    await waitFor('the recycled process to exit', () => !isAlive(original.pid));

    // A stale command (the new pid, an old generation) is rejected and changes nothing.
    const stale = await recycle(worker.workerId, replacement.pid, original.generation);
    expect(stale.status).toBe('REJECTED');
    expect(stale.outcome).toContain(
      `pid ${replacement.pid} is generation ${replacement.generation}, not ${original.generation}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const after = await processesOf(worker.workerId);
    expect(after.map((p) => [p.pid, p.generation, p.state])).toEqual([
      [replacement.pid, replacement.generation, 'ACTIVE'],
    ]);
    const later = await submit(stack, 'echo');
    expect(await waitForTerminal(stack, later)).toMatchObject({
      status: 'SUCCESS',
      pid: replacement.pid,
    });
    await worker.stop();
  });

  it('process mode: marks the child PENDING_KILL without killing its execution; an old generation is rejected', async () => {
    const worker = startWorker(stack, { mode: 'process' });
    await worker.online();
    // One execution first, so the next child's generation is above 1.
    expect(await waitForTerminal(stack, await submit(stack, 'echo'))).toMatchObject({
      status: 'SUCCESS',
    });
    const id = await submit(stack, 'slow-healthy', { input: { ms: 2500 } });
    const running = await waitFor('the execution to be placed', async () => {
      const record = await stack.repos.executions.get(id);
      return record?.status === 'RUNNING' && record.pid ? record : undefined;
    });
    const stale = await recycle(worker.workerId, running.pid!, running.generation! - 1);
    expect(stale.status).toBe('REJECTED');
    const done = await recycle(worker.workerId, running.pid!, running.generation!);
    expect(done).toMatchObject({ status: 'DONE' });
    await waitFor('the child PENDING_KILL', async () =>
      (await processesOf(worker.workerId)).some(
        (p) => p.pid === running.pid && p.state === 'PENDING_KILL',
      ),
    );
    expect(await waitForTerminal(stack, id)).toMatchObject({ status: 'SUCCESS' });
    await worker.stop();
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
