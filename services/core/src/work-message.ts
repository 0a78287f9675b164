/**
 * What a work message on the queue says about itself, read the same way by the worker and by the
 * dead-letter sweep.
 */
import { ID_PATTERN } from './domain.js';

/** The parts of an SQS message this module reads (structural, so core needs no SQS types here). */
export interface QueueMessageLike {
  Body?: string;
  MessageId?: string;
}

/** A string field of the message's JSON body when it is a valid id, else undefined. */
function idField(
  message: QueueMessageLike,
  field: 'executionId' | 'workflowId',
): string | undefined {
  try {
    const body: unknown = JSON.parse(message.Body ?? '');
    if (typeof body === 'object' && body !== null) {
      const id = (body as Record<string, unknown>)[field];
      if (typeof id === 'string' && ID_PATTERN.test(id)) return id;
    }
  } catch {
    // Not JSON: it names nothing.
  }
  return undefined;
}

/**
 * The execution a work message is for: the body's `executionId` when it is a valid id, otherwise
 * the SQS message id (raw messages without an id are tracked under it).
 */
export const executionIdOf = (message: QueueMessageLike): string | undefined =>
  idField(message, 'executionId') ?? message.MessageId;

/** The body's `workflowId` when it is a valid id (whether or not any worker runs it). */
export const workflowIdOf = (message: QueueMessageLike): string | undefined =>
  idField(message, 'workflowId');
