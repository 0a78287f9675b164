/**
 * Reads a work message received from SQS: its attempt, when it was queued, the execution it is
 * for, and either the work to run or why it cannot run. Pure: no I/O, so every rule is testable
 * on its own.
 */
import { randomUUID } from 'node:crypto';
import type { Message } from '@aws-sdk/client-sqs';
import {
  ID_PATTERN,
  checkWorkMessage,
  executionIdOf,
  iso,
  type ErrorType,
  type WorkMessage,
} from '@warden/core';
import type { CatalogEntry, WorkflowCatalog } from './catalog.js';

export const MESSAGE_SHAPE =
  'expected JSON {"workflowId": "...", "executionId"?: "...", "input"?: any, "timeoutSeconds"?: number}';

/** Why a message cannot run, and the record it gets. */
export interface Rejection {
  executionId: string;
  workflowId: string;
  errorType: ErrorType;
  errorMessage: string;
  input?: unknown;
}

export type ParsedWork =
  | { ok: false; rejection: Rejection }
  | {
      ok: true;
      executionId: string;
      workflow: CatalogEntry;
      input: unknown;
      timeoutSeconds?: number;
      /** The work as sent, to send again (a paused workflow, a retry). */
      work: WorkMessage;
    };

export interface ParserOptions {
  catalog: Pick<WorkflowCatalog, 'get' | 'ids'>;
  maxInputBytes: number;
}

/** The receive count SQS reports (1 on the first delivery). */
export function attemptOf(message: Message): number {
  return Number(message.Attributes?.ApproximateReceiveCount ?? 1) || 1;
}

/** When the message was sent, or `now` when SQS did not say. */
export function queuedAtOf(message: Message, now: number): string {
  const sent = Number(message.Attributes?.SentTimestamp);
  return iso(Number.isFinite(sent) && sent > 0 ? sent : now);
}

export function parseMessage(
  message: Message,
  options: ParserOptions,
  newId: () => string = randomUUID,
): ParsedWork {
  const messageId = message.MessageId ?? newId();
  let body: unknown;
  try {
    body = JSON.parse(message.Body ?? '');
  } catch (error) {
    return {
      ok: false,
      rejection: {
        executionId: messageId,
        workflowId: 'unknown',
        errorType: 'InvalidMessage',
        errorMessage: `the message body is not valid JSON (${(error as Error).message}); ${MESSAGE_SHAPE}`,
      },
    };
  }
  const raw = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const executionId = executionIdOf(message) ?? messageId;
  const workflowId =
    typeof raw.workflowId === 'string' && ID_PATTERN.test(raw.workflowId)
      ? raw.workflowId
      : 'unknown';
  const result = checkWorkMessage(body);
  if (!result.ok) {
    return {
      ok: false,
      rejection: {
        executionId,
        workflowId,
        errorType: 'InvalidMessage',
        errorMessage: `the message is not a valid work message: ${result.problems}; ${MESSAGE_SHAPE}`,
      },
    };
  }
  const work = result.value;
  const inputBytes = work.input === undefined ? 0 : Buffer.byteLength(JSON.stringify(work.input));
  if (inputBytes > options.maxInputBytes) {
    return {
      ok: false,
      rejection: {
        executionId,
        workflowId,
        errorType: 'InvalidMessage',
        errorMessage: `the input is ${inputBytes} bytes of JSON; at most ${options.maxInputBytes} are accepted (MAX_INPUT_BYTES)`,
      },
    };
  }
  const workflow = options.catalog.get(work.workflowId);
  if (!workflow) {
    return {
      ok: false,
      rejection: {
        executionId,
        workflowId,
        errorType: 'UnknownWorkflow',
        errorMessage: `workflow "${work.workflowId}" is not known to this worker; it runs: ${options.catalog.ids().join(', ')}`,
        input: work.input,
      },
    };
  }
  return {
    ok: true,
    executionId,
    workflow,
    input: work.input,
    timeoutSeconds: work.timeoutSeconds,
    work,
  };
}
