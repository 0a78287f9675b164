/**
 * Recycling pool processes: on an admin's command (addressed by pid and generation), after a
 * number of executions, and above a memory limit. Healthy executions are never killed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerCommandsRepository, type ProcessSnapshot } from '@warden/core';
import { isAlive } from '../support/processes.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';
import {
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

describe('recycling policies (thread mode)', () => {
  it('replaces the pool process after WORKER_MAX_EXECUTIONS_PER_PROCESS executions', async () => {
    const worker = startWorker(stack, {
      mode: 'thread',
      env: { WORKER_MAX_EXECUTIONS_PER_PROCESS: '3', WORKER_THREAD_POOL_SIZE: '1' },
    });
    const first = (await worker.online()).processes[0]!;
    const records = [];
    for (let i = 0; i < 4; i++) {
      records.push(await waitForTerminal(stack, await submit(stack, 'echo', { input: i })));
    }
    expect(records.map((r) => r.generation)).toEqual([1, 1, 1, 2]);
    expect(records[3]!.pid).not.toBe(first.pid);
    await waitFor('the retired process to exit', () => !isAlive(first.pid));
    await worker.stop();
  });

  it('replaces the pool process once it has worked and grown above WORKER_MAX_PROCESS_MEMORY_MB, without a loop', async () => {
    const worker = startWorker(stack, {
      mode: 'thread',
      env: { WORKER_MAX_PROCESS_MEMORY_MB: '64', WORKER_THREAD_POOL_SIZE: '1' },
    });
    const first = (await worker.online()).processes[0]!;
    // Idle, it is left alone whatever its size.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect((await processesOf(worker.workerId)).map((p) => p.pid)).toEqual([first.pid]);
    // Loading the AWS SDK in its thread takes it over the limit.
    const record = await waitForTerminal(
      stack,
      await submit(stack, 'sdk-io', { input: { holdMs: 0 } }),
    );
    expect(record).toMatchObject({ status: 'SUCCESS', pid: first.pid });
    const next = await waitFor('a new generation', async () =>
      (await processesOf(worker.workerId)).find(
        (p) => p.state === 'ACTIVE' && p.generation === first.generation + 1,
      ),
    );
    await waitFor('the retired process to exit', () => !isAlive(first.pid));
    expect(worker.output()).toMatch(/is above WORKER_MAX_PROCESS_MEMORY_MB=64/);
    // The new process has done nothing yet, so it stays however large it is.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect((await processesOf(worker.workerId)).map((p) => p.pid)).toEqual([next.pid]);
    await worker.stop();
  });
});
