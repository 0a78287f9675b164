#!/usr/bin/env node
/**
 * npm run smoke -- --outputs <file> [--token <token>] [--timeout <s>]
 *                  [--workflow echo] [--stuck-workflow cpu-spin] [--slow-workflow sleep]
 *
 * Checks a running Warden end to end through its API and WebSocket: local (`.warden/outputs.json`
 * from `npm start`) or deployed (a `cdk deploy --outputs-file` result; pass a Cognito admin token
 * with --token or WARDEN_ADMIN_TOKEN). Each step prints its timing; the first failing step stops
 * the run, says what failed, and exits 1. Whatever it made is removed on the way out (the
 * blacklist entry it adds; removing it also resets the stuck counter its one stuck execution
 * raised, so the smoke check never trips the circuit breaker). Executions it ran stay in the
 * history, submitted by the token's principal.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { WardenApiError, WardenClient } from '../services/client/dist/api-client.js';

const USAGE =
  'usage: npm run smoke -- --outputs <file> [--token <token>] [--timeout <s>] [--workflow <id>] [--stuck-workflow <id>] [--slow-workflow <id>]';

class StepFailed extends Error {}
const failStep = (message) => {
  throw new StepFailed(message);
};

function usage(message) {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      outputs: { type: 'string' },
      token: { type: 'string' },
      timeout: { type: 'string', default: '60' },
      workflow: { type: 'string', default: 'echo' },
      'stuck-workflow': { type: 'string', default: 'cpu-spin' },
      'slow-workflow': { type: 'string', default: 'sleep' },
    },
  }));
} catch (error) {
  usage(error.message);
}
if (!args.outputs) usage('--outputs is required');
const timeoutSeconds = Number(args.timeout);
if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
  usage(`--timeout must be a number of seconds above 0, not ${JSON.stringify(args.timeout)}`);
}
const timeoutMs = timeoutSeconds * 1000;

/** The stack's outputs, whatever the stack's name: the one that has an ApiUrl. */
async function readStack(file) {
  let parsed;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    usage(`cannot read ${file} as an outputs file: ${error.message}`);
  }
  const stack = Object.values(parsed ?? {}).find((outputs) => typeof outputs?.ApiUrl === 'string');
  if (!stack)
    usage(
      `${file} names no ApiUrl: expected npm start's outputs.json or cdk deploy's --outputs-file`,
    );
  return stack;
}

const stack = await readStack(args.outputs);
const token = args.token ?? process.env.WARDEN_ADMIN_TOKEN ?? stack.AdminToken;
if (!token)
  usage('no token: pass --token or set WARDEN_ADMIN_TOKEN (a Cognito admin token in AWS)');
if (typeof stack.WebSocketUrl !== 'string') usage(`${args.outputs} names no WebSocketUrl`);
const client = new WardenClient({ apiUrl: stack.ApiUrl, token });
const cleanups = [];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns something, or fails the step with `message`. */
async function until(message, probe, ms = timeoutMs) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) failStep(message);
    await sleep(250);
  }
}

async function step(name, action) {
  const started = Date.now();
  try {
    const detail = await action();
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    process.stdout.write(`ok    ${name} (${seconds} s)${detail ? `: ${detail}` : ''}\n`);
  } catch (error) {
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const reason =
      error instanceof StepFailed
        ? error.message
        : error instanceof WardenApiError
          ? `the API answered ${error.status} ${error.code}: ${error.message}`
          : `${error.message ?? error}`;
    process.stdout.write(`FAIL  ${name} (${seconds} s): ${reason}\n`);
    throw new StepFailed(`${name}: ${reason}`);
  }
}

/** Submits, waits for a worker to take it, then for it to end. */
async function runToEnd(request, what) {
  const { execution } = await client.submitExecution(request).catch((error) => {
    if (error instanceof WardenApiError && error.code === 'NO_WORKERS_REGISTERED') {
      failStep(`no worker took the execution: no worker is registered (${error.message})`);
    }
    throw error;
  });
  const id = execution.executionId;
  await until(
    `no worker took the execution within ${timeoutSeconds} s (${what} ${id} is still QUEUED: is any worker running, and does one know ${request.workflowId}?)`,
    async () => (await client.getExecution(id)).execution.status !== 'QUEUED',
  );
  return until(
    `${what} ${id} did not finish within ${timeoutSeconds} s of starting`,
    async () => {
      const { execution: now } = await client.getExecution(id);
      return ['SUCCESS', 'FAILED', 'CANCELLED'].includes(now.status) && now;
    },
    timeoutMs + (request.timeoutSeconds ?? 0) * 1000,
  );
}

let socket;
const events = [];
const started = Date.now();
let failed;
try {
  await step('the API refuses a request without a token', async () => {
    const response = await fetch(new URL('api/workers', `${stack.ApiUrl.replace(/\/$/, '')}/`));
    if (response.status !== 401 && response.status !== 403) {
      failStep(`GET /api/workers without a token answered ${response.status}, not 401`);
    }
    return `${response.status}`;
  });

  await step('the API answers with the token', async () => {
    const { workers } = await client.listWorkers();
    const online = workers.filter((w) => w.health === 'online');
    return `${online.length} of ${workers.length} workers online`;
  });

  await step('the WebSocket accepts the token', async () => {
    const url = new URL(stack.WebSocketUrl);
    url.searchParams.set('token', token);
    socket = new WebSocket(url);
    socket.on('message', (data) => {
      const parsed = JSON.parse(String(data));
      events.push(...(Array.isArray(parsed) ? parsed : [parsed]));
    });
    await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new StepFailed('no WebSocket connection within 10 s')),
        10_000,
      );
      socket.once('open', () => (clearTimeout(timer), resolve()));
      socket.once(
        'error',
        (error) => (clearTimeout(timer), reject(new StepFailed(`WebSocket: ${error.message}`))),
      );
    });
  });

  await step(`an execution of ${args.workflow} ends SUCCESS`, async () => {
    const done = await runToEnd({ workflowId: args.workflow, input: { smoke: true } }, 'execution');
    if (done.status !== 'SUCCESS') {
      failStep(
        `execution ${done.executionId} ended ${done.status}: ${done.errorType ?? ''} ${done.errorMessage ?? ''}`,
      );
    }
    return `${done.executionId} on ${done.workerId} in ${done.durationMs} ms`;
  });

  await step(
    `a stuck ${args['stuck-workflow']} is recorded and pushed over the WebSocket`,
    async () => {
      const done = await runToEnd(
        { workflowId: args['stuck-workflow'], timeoutSeconds: 1 },
        'stuck execution',
      );
      if (done.errorType !== 'ExecutionStuck') {
        failStep(
          `execution ${done.executionId} ended ${done.status} ${done.errorType ?? ''}, not ExecutionStuck`,
        );
      }
      const { records } = await client.stuckHistory(1);
      if (!records.some((r) => r.executionId === done.executionId)) {
        failStep(`no stuck record for ${done.executionId}`);
      }
      await until(
        `no execution_stuck event for ${done.executionId} arrived over the WebSocket within 10 s`,
        () =>
          events.some((e) => e.type === 'execution_stuck' && e.executionId === done.executionId),
        10_000,
      );
      return done.executionId;
    },
  );

  await step(`a blacklisted workflow (${args['stuck-workflow']}) is refused`, async () => {
    const workflowId = args['stuck-workflow'];
    const { entries } = await client.listBlacklist();
    const already = entries.some((e) => e.workflowId === workflowId);
    if (!already) {
      await client.addToBlacklist({ workflowId, reason: 'smoke check (removed when it ends)' });
      cleanups.push([
        'remove the smoke blacklist entry',
        () => client.removeFromBlacklist(workflowId),
      ]);
    }
    try {
      await client.submitExecution({ workflowId });
    } catch (error) {
      if (error instanceof WardenApiError && error.code === 'WORKFLOW_BLACKLISTED') {
        return `${error.status} ${error.code}`;
      }
      throw error;
    }
    failStep(`a submission of blacklisted ${workflowId} was accepted`);
  });

  await step('a recycle command is answered by its worker', async () => {
    const { execution } = await client.submitExecution({
      workflowId: args['slow-workflow'],
      input: { ms: 15_000 },
    });
    const running = await until(
      `no worker took the execution within ${timeoutSeconds} s (${args['slow-workflow']} ${execution.executionId} is still QUEUED)`,
      async () => {
        const { execution: now } = await client.getExecution(execution.executionId);
        return now.status === 'RUNNING' && now.pid !== undefined && now;
      },
    );
    // The worker lists its processes with its next heartbeat.
    const process_ = await until(
      `worker ${running.workerId} did not list process ${running.pid} within ${timeoutSeconds} s`,
      async () =>
        (await client.getWorker(running.workerId)).worker.processes.find(
          (p) => p.pid === running.pid && p.state !== 'EXITING',
        ),
    );
    const { command } = await client.recycleProcess(
      running.workerId,
      process_.pid,
      process_.generation,
    );
    await until(
      `worker ${running.workerId} did not answer recycle command ${command.commandId} within ${timeoutSeconds} s`,
      async () =>
        !(await client.getWorker(running.workerId)).pendingCommands.some(
          (c) => c.commandId === command.commandId,
        ),
    );
    const done = await until(
      `the recycled process's execution did not finish within ${timeoutSeconds} s`,
      async () => {
        const { execution: now } = await client.getExecution(execution.executionId);
        return now.status !== 'RUNNING' && now.status !== 'QUEUED' && now;
      },
    );
    if (done.status !== 'SUCCESS')
      failStep(`the healthy execution on the recycled process ended ${done.status}`);
    return `pid ${process_.pid} on ${running.workerId}; its execution still ended SUCCESS`;
  });
} catch (error) {
  failed = error;
} finally {
  socket?.close();
  for (const [name, cleanup] of cleanups.reverse()) {
    try {
      await cleanup();
      process.stdout.write(`ok    cleanup: ${name}\n`);
    } catch (error) {
      process.stdout.write(`FAIL  cleanup: ${name}: ${error.message}\n`);
      failed ??= error;
    }
  }
}
const total = ((Date.now() - started) / 1000).toFixed(1);
if (failed) {
  process.stderr.write(`Smoke check FAILED after ${total} s: ${failed.message}\n`);
  process.exit(1);
}
process.stdout.write(`Smoke check passed in ${total} s against ${stack.ApiUrl}\n`);
