/**
 * What a runner sees, in real runner processes and threads: the environment the executor builds
 * (never the worker's own), and a refreshed one handed to runners that are already running, as
 * happens when the workflow credentials are renewed in the middle of a long execution.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '@warden/core';
// The built package: executors fork its runner entry points from dist.
import {
  createExecutor,
  loadWorkflowCatalog,
  workflowEnvironment,
  type Executor,
} from '../dist/index.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-env-workflows-'));
// Reports its first view of the environment as a log line, then waits for the access key to
// change and returns what it sees then.
writeFileSync(
  join(dir, 'env-watch.mjs'),
  `export default {
  id: 'env-watch',
  async run(_input, ctx) {
    const first = process.env.AWS_ACCESS_KEY_ID;
    ctx.log('first ' + first + ' ' + Object.keys(process.env).sort().join(','));
    while (process.env.AWS_ACCESS_KEY_ID === first) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (ctx.signal.aborted) throw new Error('never saw a new key');
    }
    return { first, now: process.env.AWS_ACCESS_KEY_ID, token: process.env.AWS_SESSION_TOKEN };
  },
};
`,
);

let executor: Executor | undefined;
afterEach(async () => {
  await executor?.stop();
  executor = undefined;
});

describe.each([true, false])('runners (thread mode: %s)', (thread) => {
  it('start with the built environment and pick up a refreshed one while running', async () => {
    let credentials = { accessKeyId: 'FIRST-KEY', secretAccessKey: 's1', sessionToken: 't1' };
    process.env.WARDEN_ADMIN_TOKEN_FOR_THIS_TEST = 'must-not-leak';
    executor = createExecutor(thread, {
      catalog: await loadWorkflowCatalog(dir),
      logger: createLogger('test', 'silent'),
      maxConcurrency: 1,
      cancelGraceMs: 1000,
      killCapMs: 1000,
      threadMaxHeapMb: 64,
      threadPoolSize: 1,
      executionsPerThread: 1,
      maxExecutionsPerProcess: 100,
      maxProcessMemoryMb: 1024,
      runnerEnv: () => workflowEnvironment(process.env, [], credentials),
    });
    await executor.start();
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const outcome = executor.execute(
      {
        executionId: `env-${thread}`,
        workflowId: 'env-watch',
        input: null,
        attempt: 1,
        timeoutMs: 20_000,
      },
      { onStarted: () => started(), onStuck: async () => {} },
    );
    await running;
    credentials = { accessKeyId: 'SECOND-KEY', secretAccessKey: 's2', sessionToken: 't2' };
    // The runner may not have read its first key yet; sending again until it finishes is safe.
    const resend = setInterval(() => executor?.updateRunnerEnv(), 50);
    const result = await outcome.finally(() => clearInterval(resend));
    delete process.env.WARDEN_ADMIN_TOKEN_FOR_THIS_TEST;

    expect(result.status).toBe('SUCCESS');
    if (result.status !== 'SUCCESS') return;
    expect(result.output).toEqual({ first: 'FIRST-KEY', now: 'SECOND-KEY', token: 't2' });
    const names = result.logs
      .find((line) => line.startsWith('first '))!
      .split(' ')[2]!
      .split(',');
    expect(names.filter((name) => name.startsWith('WARDEN_'))).toEqual([]);
    expect(names).toEqual(expect.arrayContaining(['AWS_ACCESS_KEY_ID', 'AWS_SESSION_TOKEN']));
  });
});
