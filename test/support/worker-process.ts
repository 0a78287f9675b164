/**
 * Runs the real worker (`node services/worker/dist/main.js`, the entrypoint ECS runs) against a
 * TestStack, and the small SQS/DynamoDB probes the worker suites share. Each worker gets its own
 * process group, so a test can kill -9 the whole tree the way a container dies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
} from '@aws-sdk/client-sqs';
import type { ExecutionRecord, WardenEvent, WorkerMode, WorkerRecord } from '@warden/core';
import { TERMINAL_STATUSES, WORKER_NODE_FLAGS, decodeEventFrame } from '@warden/core';
import type { TestStack } from './stack.js';
import { waitFor } from './wait.js';

export const WORKER_MAIN = 'services/worker/dist/main.js';

export type Mode = WorkerMode;
export const MODES: Mode[] = ['process', 'thread'];

/** Short timings so the stuck ladder and drains play out in seconds. */
export const FAST_WORKER_ENV: Record<string, string> = {
  CANCEL_GRACE_SECONDS: '1',
  WORKER_HEARTBEAT_INTERVAL_SECONDS: '1',
  WORKER_COMMAND_POLL_SECONDS: '0.5',
  WORKER_KILL_CAP_SECONDS: '1',
  WORKER_VISIBILITY_TIMEOUT_SECONDS: '6',
  WORKER_POLL_WAIT_SECONDS: '1',
  WORKER_THREAD_MAX_HEAP_MB: '64',
  BLACKLIST_CACHE_SECONDS: '0',
  WORKER_SHUTDOWN_DEADLINE_SECONDS: '20',
  LOG_LEVEL: 'info',
  // Workflows (sdk-io) reach the emulators with keys of their own, never the worker's.
  WORKFLOW_AWS_ACCESS_KEY_ID: 'workflow-local',
  WORKFLOW_AWS_SECRET_ACCESS_KEY: 'workflow-local',
};

export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  workerId: string;
  mode: Mode;
  /** Everything it wrote so far, stdout and stderr. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waits until it has registered ONLINE in the Workers table. */
  online(timeoutMs?: number): Promise<WorkerRecord>;
  /** SIGTERM and wait for the exit (SIGKILL of the whole group if it takes too long). */
  stop(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** kill -9 of the worker and every process it started. */
  killTree(): void;
}

const started = new Set<WorkerProcess>();

export function startWorker(
  stack: TestStack,
  options: { mode: Mode; env?: Record<string, string | undefined>; workerId?: string },
): WorkerProcess {
  const workerId = options.workerId ?? `w-${options.mode}-${randomBytes(3).toString('hex')}`;
  const child = spawn(process.execPath, [...WORKER_NODE_FLAGS, WORKER_MAIN], {
    env: {
      ...process.env,
      ...stack.env,
      ...FAST_WORKER_ENV,
      USE_THREAD_WORKERS: options.mode === 'thread' ? 'true' : 'false',
      WORKER_ID: workerId,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const append = (chunk: Buffer): void => {
    output += chunk.toString();
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const killTree = (): void => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // Already gone.
    }
  };
  const worker: WorkerProcess = {
    child,
    pid: child.pid!,
    workerId,
    mode: options.mode,
    output: () => output,
    exited,
    online: (timeoutMs = 30_000) =>
      waitFor(
        () => `worker ${workerId} to come online (output so far: ${output.slice(-1500)})`,
        async () => {
          if (child.exitCode !== null) {
            throw new Error(`worker exited with ${child.exitCode}: ${output.slice(-1500)}`);
          }
          const record = await stack.repos.workers.get(workerId);
          return record?.status === 'ONLINE' && record.mainPid === child.pid ? record : undefined;
        },
        { timeoutMs, intervalMs: 100 },
      ),
    async stop(timeoutMs = 30_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(killTree, timeoutMs);
      const result = await exited;
      clearTimeout(timer);
      // Whatever it started must not outlive it (a forked child of a killed worker would).
      killTree();
      return result;
    },
    killTree,
  };
  started.add(worker);
  void exited.then(() => started.delete(worker));
  return worker;
}

/** For afterAll/afterEach: kill -9 every worker tree still running. */
export async function killAllWorkers(): Promise<void> {
  const running = [...started];
  for (const worker of running) worker.killTree();
  await Promise.all(running.map((worker) => worker.exited));
}

export const newExecutionId = (prefix = 'e'): string =>
  `${prefix}-${randomBytes(6).toString('hex')}`;

/** Sends a raw work message (or any body) to the work queue; returns the SQS MessageId. */
export async function sendMessage(stack: TestStack, body: unknown): Promise<string> {
  const result = await stack.clients.sqs.send(
    new SendMessageCommand({
      QueueUrl: stack.queueUrl,
      MessageBody: typeof body === 'string' ? body : JSON.stringify(body),
    }),
  );
  return result.MessageId!;
}

/** Sends `{ executionId, workflowId, input?, timeoutSeconds? }` and returns the execution id. */
export async function submit(
  stack: TestStack,
  workflowId: string,
  options: { input?: unknown; timeoutSeconds?: number; executionId?: string } = {},
): Promise<string> {
  const executionId = options.executionId ?? newExecutionId(workflowId);
  await sendMessage(stack, {
    executionId,
    workflowId,
    ...(options.input !== undefined ? { input: options.input } : {}),
    ...(options.timeoutSeconds !== undefined ? { timeoutSeconds: options.timeoutSeconds } : {}),
  });
  return executionId;
}

const TERMINAL = new Set<string>(TERMINAL_STATUSES);

/** Waits for an execution to reach a terminal status and returns its record. */
export function waitForTerminal(
  stack: TestStack,
  executionId: string,
  timeoutMs = 30_000,
): Promise<ExecutionRecord> {
  return waitFor(
    `execution ${executionId} to finish`,
    async () => {
      const record = await stack.repos.executions.get(executionId);
      return record && TERMINAL.has(record.status) ? record : undefined;
    },
    { timeoutMs, intervalMs: 100 },
  );
}

export function waitForStatus(
  stack: TestStack,
  executionId: string,
  status: ExecutionRecord['status'],
  timeoutMs = 30_000,
): Promise<ExecutionRecord> {
  return waitFor(
    `execution ${executionId} to be ${status}`,
    async () => {
      const record = await stack.repos.executions.get(executionId);
      return record?.status === status ? record : undefined;
    },
    { timeoutMs, intervalMs: 100 },
  );
}

/** Messages in the queue: visible, in flight, and delayed. */
export async function queueDepth(stack: TestStack, queueUrl = stack.queueUrl): Promise<number> {
  const { Attributes = {} } = await stack.clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}

/**
 * Peeks at the dead-letter queue (leaving every message there) until a message for each of
 * `executionIds` was seen; returns them by execution id.
 */
export async function readDeadLetters(
  stack: TestStack,
  executionIds: string[],
): Promise<Map<string, Message>> {
  const seen = new Map<string, Message>();
  await waitFor(
    `dead letters for ${executionIds.join(', ')}`,
    async () => {
      const { Messages = [] } = await stack.clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: stack.deadLetterQueueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          VisibilityTimeout: 0,
          MessageAttributeNames: ['All'],
        }),
      );
      for (const message of Messages) {
        const id = message.MessageAttributes?.['warden.executionId']?.StringValue;
        if (id) seen.set(id, message);
      }
      return executionIds.every((id) => seen.has(id));
    },
    { timeoutMs: 20_000, intervalMs: 200 },
  );
  return seen;
}

export interface EventSink {
  /** The WARDEN_EVENTS_ENDPOINT to give a worker. */
  url: string;
  events: WardenEvent[];
  stop(): Promise<void>;
}

/**
 * Stands in for API Gateway's `@connections` management endpoint: registers one connection and
 * collects every event the publisher posts to it.
 */
export async function startEventSink(stack: TestStack): Promise<EventSink> {
  const connectionId = `sink-${randomBytes(4).toString('hex')}`;
  const events: WardenEvent[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      if (request.method === 'POST' && request.url === `/@connections/${connectionId}`) {
        events.push(...(decodeEventFrame(body) as WardenEvent[]));
      }
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  await stack.repos.connections.add(connectionId, 'worker-tests');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    events,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
