/**
 * The `warden` CLI's operator controls as a user runs them (a child process) against the control
 * plane over HTTP: pause and resume, cancel and rerun, bulk cancel that counts before acting, and
 * the dead-letter commands. No worker consumes here (a registered worker record supplies the
 * catalog), so what is queued stays queued.
 */
import { execFile } from 'node:child_process';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BulkActionResponse, ExecutionResponse } from '@warden/core';
import { startTestStack, type TestStack } from '../support/stack.js';
import {
  startControlPlane,
  workerRecord,
  type TestControlPlane,
} from '../support/control-plane.js';

const BIN = 'services/client/bin/warden.js';

let stack: TestStack;
let cp: TestControlPlane;

beforeAll(async () => {
  stack = await startTestStack();
  cp = await startControlPlane(stack);
  await stack.repos.workers.register(workerRecord('cli-worker'));
});
afterAll(async () => {
  await cp?.stop();
  await stack?.stop();
});

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI without blocking this process (the API it calls lives here). */
function cli(...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          WARDEN_API_URL: cp.apiUrl,
          WARDEN_ADMIN_TOKEN: cp.adminToken,
        },
        timeout: 30_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 99) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const submit = async (): Promise<string> => {
  const result = await cli('--json', 'submit', 'echo', '--input', '{"n":1}');
  expect(result.code).toBe(0);
  return (JSON.parse(result.stdout) as ExecutionResponse).execution.executionId;
};

describe('warden CLI: operator controls', () => {
  it('pauses and resumes a workflow, and shows the pause in the queue and the catalog', async () => {
    const paused = await cli('pause', 'echo', '--reason', 'partner outage');
    expect(paused.code).toBe(0);
    expect(paused.stdout).toContain('Paused echo (partner outage)');
    await submit();
    const queue = await cli('queue');
    expect(queue.stdout).toMatch(/echo: 1 waiting, since .* by local-admin \(partner outage\)/);
    const workflows = await cli('workflows');
    expect(workflows.stdout).toMatch(/PAUSED/);
    expect(workflows.stdout).toMatch(/echo.*by local-admin, 1 waiting/);

    const twice = await cli('pause', 'echo', '--reason', 'again');
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain('ALREADY_PAUSED');
    const noReason = await cli('pause', 'echo');
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain('--reason');

    const resumed = await cli('resume', 'echo');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('Resumed echo');
  });

  it('cancels a queued execution, refuses a second cancel, and reruns it', async () => {
    const id = await submit();
    const cancelled = await cli('executions', 'cancel', id);
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toContain(`Cancelled ${id}: it had not started and never will`);
    const again = await cli('executions', 'cancel', id);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('EXECUTION_FINISHED');

    const rerun = await cli('--json', 'executions', 'rerun', id, '--id', `${id}-again`);
    expect(rerun.code).toBe(0);
    expect((JSON.parse(rerun.stdout) as ExecutionResponse).execution).toMatchObject({
      executionId: `${id}-again`,
      rerunOf: id,
      status: 'QUEUED',
    });
    const shown = await cli('executions', 'show', `${id}-again`);
    expect(shown.stdout).toMatch(new RegExp(`Rerun of\\s+│\\s+${id}`));
  });

  it('counts before a bulk cancel and acts only with --yes', async () => {
    const from = new Date(Date.now() - 1000).toISOString();
    const ids = [await submit(), await submit()];
    const counted = await cli('executions', 'cancel-many', '--workflow', 'echo', '--from', from);
    expect(counted.code).toBe(0);
    expect(counted.stdout).toMatch(/\d+ execution\(s\) would be cancelled/);
    for (const id of ids) expect(counted.stdout).toContain(id);
    for (const id of ids) expect((await stack.repos.executions.get(id))?.status).toBe('QUEUED');

    const done = await cli(
      '--json',
      'executions',
      'cancel-many',
      '--workflow',
      'echo',
      '--status',
      'QUEUED',
      '--from',
      from,
      '--yes',
    );
    const body = JSON.parse(done.stdout) as BulkActionResponse;
    expect(body.dryRun).toBe(false);
    for (const id of ids) expect((await stack.repos.executions.get(id))?.status).toBe('CANCELLED');
  });

  it('lists, redrives and deletes dead letters', async () => {
    const send = async (executionId: string) =>
      (
        await stack.clients.sqs.send(
          new SendMessageCommand({
            QueueUrl: stack.deadLetterQueueUrl,
            MessageBody: JSON.stringify({ executionId, workflowId: 'echo' }),
          }),
        )
      ).MessageId!;
    const keep = await send('dl-keep');
    const drop = await send('dl-drop');
    const listed = await cli('dead-letters', 'list');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`${keep}.*dl-keep.*no record`));

    const deleted = await cli('dead-letters', 'delete', drop);
    expect(deleted.stdout).toContain('Deleted 1 message(s)');
    const redriven = await cli('dead-letters', 'redrive', keep, 'not-a-message');
    expect(redriven.stdout).toContain(
      'Moved 1 message(s) back to the work queue; not found: not-a-message',
    );
    const empty = await cli('dead-letters', 'list');
    expect(empty.stdout).toContain('The dead-letter queue is empty.');

    const usage = await cli('dead-letters', 'redrive');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('name message ids or give --all');
  });
});
