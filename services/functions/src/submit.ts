/**
 * Submitting an execution, in the order that loses nothing: refuse a blacklisted or unknown
 * workflow before anything is written; write the QUEUED record; send the message; if the send
 * fails, mark the record FAILED (EnqueueFailed) so it does not wait forever.
 */
import { randomUUID } from 'node:crypto';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import {
  DuplicateExecutionError,
  MAX_INPUT_BYTES,
  type ExecutionRecord,
  type WorkMessage,
} from '@warden/core';
import type { ControlPlaneDeps } from './deps.js';
import { workflowCatalog } from './fleet.js';
import { ApiError, badRequest, conflict } from './http/errors.js';

export async function submitExecution(
  deps: ControlPlaneDeps,
  message: WorkMessage,
  submittedBy: string,
  options: { rerunOf?: string } = {},
): Promise<ExecutionRecord> {
  const { repos, config } = deps;
  const inputBytes =
    message.input === undefined ? 0 : Buffer.byteLength(JSON.stringify(message.input));
  if (inputBytes > MAX_INPUT_BYTES) {
    throw badRequest(
      `input is ${inputBytes} bytes as JSON; the limit is ${MAX_INPUT_BYTES}. Pass a reference (an S3 key, an id) instead of the data`,
      'input',
    );
  }

  const [blacklisted, workers] = await Promise.all([
    repos.blacklist.getActive(message.workflowId),
    repos.workers.list(),
  ]);
  if (blacklisted) {
    throw conflict(
      'WORKFLOW_BLACKLISTED',
      `Workflow ${message.workflowId} is blacklisted (${blacklisted.reason}, since ${blacklisted.blacklistedAt}); nothing was queued. An admin must remove it from the blacklist before it can run again`,
      'workflowId',
    );
  }
  const catalog = workflowCatalog(workers, new Set());
  if (!catalog.length) {
    throw new ApiError(
      503,
      'NO_WORKERS_REGISTERED',
      'No worker is registered, so no workflow is known yet; nothing was queued. Start a worker and submit again',
    );
  }
  if (!catalog.some((workflow) => workflow.id === message.workflowId)) {
    throw new ApiError(
      400,
      'UNKNOWN_WORKFLOW',
      `Unknown workflow "${message.workflowId}": no registered worker offers it. Known workflows: ${catalog.map((w) => w.id).join(', ')}`,
      'workflowId',
    );
  }

  const executionId = message.executionId ?? randomUUID();
  let record: ExecutionRecord;
  try {
    record = await repos.executions.createQueued({
      executionId,
      workflowId: message.workflowId,
      input: message.input,
      timeoutSeconds: message.timeoutSeconds,
      submittedBy,
      rerunOf: options.rerunOf,
    });
  } catch (error) {
    if (error instanceof DuplicateExecutionError) {
      throw conflict(
        'DUPLICATE_EXECUTION',
        `Execution ${executionId} already exists: read it with GET /api/executions/${executionId}, or submit with another executionId`,
        'executionId',
      );
    }
    throw error;
  }

  const body: WorkMessage = {
    executionId,
    workflowId: message.workflowId,
    ...(message.input !== undefined ? { input: message.input } : {}),
    ...(message.timeoutSeconds !== undefined ? { timeoutSeconds: message.timeoutSeconds } : {}),
  };
  try {
    await deps.sqs.send(
      new SendMessageCommand({ QueueUrl: config.queueUrl, MessageBody: JSON.stringify(body) }),
    );
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    deps.logger.error({ err: error, executionId }, 'could not send the work message');
    await repos.executions.failUnrun({
      executionId,
      workflowId: message.workflowId,
      errorType: 'EnqueueFailed',
      errorMessage: `The queue refused the message: ${reason}`,
      queuedAt: record.queuedAt,
      input: message.input,
    });
    throw new ApiError(
      503,
      'ENQUEUE_FAILED',
      `The queue refused the message (${reason}); execution ${executionId} is recorded as FAILED (EnqueueFailed) and will not run. Submit again`,
    );
  }

  await deps.publisher.publish({
    type: 'queue_changed',
    change: 'queued',
    executionId,
    workflowId: message.workflowId,
  });
  return record;
}
