/**
 * The workflow contract: what a module in WORKFLOWS_DIR default-exports, the context a run
 * receives, a typed `defineWorkflow()` for TypeScript authors, and the check the worker applies to
 * every module it loads. Plain `.mjs` files need none of this at run time: any default export of
 * the right shape works, so an operator can drop a file in without a build.
 */
import { fileURLToPath } from 'node:url';
// The domain module alone, so the folder check (in the CLI too) loads no AWS SDK.
import {
  ID_PATTERN,
  MAX_RETRY_ATTEMPTS,
  MAX_TIMEOUT_SECONDS,
  type RetryPolicy,
} from '@warden/core/domain';

export type { RetryPolicy } from '@warden/core/domain';

/** What a workflow's `run` receives besides its input. */
export interface WorkflowContext {
  /** Fires when the execution times out (or is cancelled); stop promptly when it does. */
  signal: AbortSignal;
  executionId: string;
  workflowId: string;
  /** 1 on the first run; higher on a retry (retry policy) or after a lost worker. */
  attempt: number;
  /** Adds a line to the execution's log (the last lines are kept on its record). */
  log(...args: unknown[]): void;
}

export interface WorkflowDefinition<Input = unknown, Output = unknown> {
  /** Unique within a worker: letters, digits, ".", "_", ":" or "-" (what messages name). */
  id: string;
  name?: string;
  /** Default timeout for executions of this workflow; a message may ask for another. */
  timeoutSeconds?: number;
  /**
   * `'thread'`: in thread mode, every execution runs alone on a thread, never sharing it (for code
   * that may block its event loop or use a lot of heap). By default executions share warm threads.
   */
  isolation?: 'thread';
  /**
   * Retry a failed run (WorkflowError, ExecutionTimeout, OutOfMemory) through the queue: at most
   * `attempts` runs in all, waiting `backoffSeconds * backoffRate^(n-1)` before the n-th retry.
   * Absent: no retry. A stuck or cancelled execution is never retried.
   */
  retry?: RetryPolicy;
  /** Safe to run twice: a run lost with its process (WorkerLost) is retried too. */
  idempotent?: boolean;
  run(input: Input, context: WorkflowContext): Promise<Output> | Output;
}

/** Problems with a retry policy, empty when it is usable. */
function checkRetry(retry: unknown): string[] {
  if (retry === undefined) return [];
  const accepted = `expected { attempts: integer 1-${MAX_RETRY_ATTEMPTS}, backoffSeconds: number 0-43200, backoffRate?: number 1-10 }`;
  if (typeof retry !== 'object' || retry === null) return [`retry is not valid: ${accepted}`];
  const { attempts, backoffSeconds, backoffRate, ...rest } = retry as Record<string, unknown>;
  const problems: string[] = [];
  if (
    typeof attempts !== 'number' ||
    !Number.isInteger(attempts) ||
    attempts < 1 ||
    attempts > MAX_RETRY_ATTEMPTS
  ) {
    problems.push(`retry.attempts ${JSON.stringify(attempts)} is not valid: ${accepted}`);
  }
  if (typeof backoffSeconds !== 'number' || !(backoffSeconds >= 0) || backoffSeconds > 43_200) {
    problems.push(
      `retry.backoffSeconds ${JSON.stringify(backoffSeconds)} is not valid: ${accepted}`,
    );
  }
  if (
    backoffRate !== undefined &&
    (typeof backoffRate !== 'number' || !(backoffRate >= 1) || backoffRate > 10)
  ) {
    problems.push(`retry.backoffRate ${JSON.stringify(backoffRate)} is not valid: ${accepted}`);
  }
  for (const key of Object.keys(rest)) problems.push(`retry.${key} is not accepted: ${accepted}`);
  return problems;
}

/** Problems with a module's default export, empty when it is a usable workflow. */
export function checkWorkflowDefinition(value: unknown): string[] {
  if (typeof value !== 'object' || value === null) {
    return [
      "the default export must be an object { id, name?, timeoutSeconds?, isolation?: 'thread', retry?, idempotent?, run(input, ctx) }",
    ];
  }
  const candidate = value as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof candidate.id !== 'string' || !ID_PATTERN.test(candidate.id)) {
    problems.push(
      `id ${JSON.stringify(candidate.id)} is not valid: expected 1-128 letters, digits, ".", "_", ":" or "-"`,
    );
  }
  if (candidate.name !== undefined && typeof candidate.name !== 'string') {
    problems.push('name must be a string when given');
  }
  if (
    candidate.timeoutSeconds !== undefined &&
    (typeof candidate.timeoutSeconds !== 'number' ||
      !(candidate.timeoutSeconds > 0) ||
      candidate.timeoutSeconds > MAX_TIMEOUT_SECONDS)
  ) {
    problems.push(
      `timeoutSeconds ${JSON.stringify(candidate.timeoutSeconds)} is not valid: expected a number above 0 and at most ${MAX_TIMEOUT_SECONDS}`,
    );
  }
  if (candidate.isolation !== undefined && candidate.isolation !== 'thread') {
    problems.push(
      `isolation ${JSON.stringify(candidate.isolation)} is not valid: expected 'thread' or nothing`,
    );
  }
  problems.push(...checkRetry(candidate.retry));
  if (candidate.idempotent !== undefined && typeof candidate.idempotent !== 'boolean') {
    problems.push('idempotent must be true or false when given');
  }
  if (typeof candidate.run !== 'function') problems.push('run must be a function (input, ctx)');
  return problems;
}

export class InvalidWorkflowError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid workflow definition: ${problems.join('; ')}`);
    this.name = 'InvalidWorkflowError';
  }
}

/**
 * Declares a workflow with typed input and output. Checks the definition at once, so a mistake
 * shows when the module loads rather than when the first message arrives.
 */
export function defineWorkflow<Input = unknown, Output = unknown>(
  definition: WorkflowDefinition<Input, Output>,
): WorkflowDefinition<Input, Output> {
  const problems = checkWorkflowDefinition(definition);
  if (problems.length) throw new InvalidWorkflowError(problems);
  return definition;
}

/** The built-in sample workflows (plain `.mjs`), the worker's default WORKFLOWS_DIR. */
export const SAMPLES_DIR = fileURLToPath(new URL('../samples/', import.meta.url));
