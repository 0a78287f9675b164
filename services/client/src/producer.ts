/**
 * For upstream services that send work straight to SQS (no admin token, no QUEUED record: the
 * admin app counts these as untracked). The message is validated against the same schema the
 * worker applies, so a bad one fails here, at the sender, instead of in the dead-letter queue.
 * To be refused up front when a workflow is blacklisted, submit through WardenClient instead.
 */
import { randomUUID } from 'node:crypto';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { MAX_INPUT_BYTES, type WorkMessage } from '@warden/core';
import { describeZodError, workMessageSchema } from '@warden/core/schemas';

export class InvalidWorkMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidWorkMessageError';
  }
}

export class WorkQueueProducer {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  /** Sends one work message; resolves with its execution id (generated when absent). */
  async send(message: WorkMessage): Promise<string> {
    const parsed = workMessageSchema.safeParse(message);
    if (!parsed.success) {
      throw new InvalidWorkMessageError(`Invalid work message: ${describeZodError(parsed.error)}`);
    }
    const body: WorkMessage = {
      ...parsed.data,
      executionId: parsed.data.executionId ?? randomUUID(),
    };
    const bytes = body.input === undefined ? 0 : Buffer.byteLength(JSON.stringify(body.input));
    if (bytes > MAX_INPUT_BYTES) {
      throw new InvalidWorkMessageError(
        `Invalid work message: input is ${bytes} bytes as JSON; the limit is ${MAX_INPUT_BYTES}`,
      );
    }
    await this.sqs.send(
      new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(body) }),
    );
    return body.executionId!;
  }
}
