/**
 * The work queue as the consumer uses it: receive, delete, return, delay, extend visibility and
 * send to the dead-letter queue. Each call is retried on transient errors the way its caller
 * needs; `giveUp()` ends every retry at the shutdown deadline.
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { MAX_SQS_DELAY_SECONDS, type Logger, type WorkerConfig } from '@warden/core';
import { isPermanent, withRetry } from './retry.js';

/** SQS's longest visibility timeout (12 hours). */
const MAX_VISIBILITY_SECONDS = 43_200;

export interface WorkQueue {
  /** One long poll for at most `max` messages (not retried: the receive loop backs off). */
  receive(max: number): Promise<Message[]>;
  /**
   * Deletes a message, retrying transient errors; an expired receipt (or giving up at the
   * deadline) is logged, not thrown, as the next delivery finds the execution finished.
   */
  delete(receiptHandle: string, executionId?: string): Promise<void>;
  /** Makes a message visible again at once (visibility 0); best effort, never throws. */
  returnMessage(receiptHandle: string, executionId?: string): Promise<void>;
  /** Hides a message for `seconds` (clamped to 1 s – 12 h); best effort, never throws. */
  delay(receiptHandle: string, seconds: number, executionId?: string): Promise<void>;
  /** Pushes a message's reappearance one visibility timeout away; one try, throws on failure. */
  extend(receiptHandle: string): Promise<void>;
  /**
   * Sends `body` to the work queue to reappear after `delaySeconds` (at most SQS's 900), then
   * deletes the message held: a fresh message, so waiting uses up none of the receive count
   * that sends a message to the dead-letter queue. Retried, throws.
   */
  resend(receiptHandle: string, body: string, delaySeconds: number): Promise<void>;
  /** Sends a copy of a message to the dead-letter queue with attributes; retried, throws. */
  deadLetter(body: string, attributes: Record<string, string>): Promise<void>;
  /** Stops every retry (the shutdown deadline has come). */
  giveUp(): void;
}

export interface SqsWorkQueueOptions {
  sqs: SQSClient;
  config: Pick<
    WorkerConfig,
    'queueUrl' | 'deadLetterQueueUrl' | 'visibilityTimeoutSeconds' | 'pollWaitSeconds'
  >;
  logger: Logger;
}

export class SqsWorkQueue implements WorkQueue {
  private readonly hardStop = new AbortController();

  constructor(private readonly options: SqsWorkQueueOptions) {}

  async receive(max: number): Promise<Message[]> {
    const { sqs, config } = this.options;
    const result = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: config.queueUrl,
        MaxNumberOfMessages: max,
        WaitTimeSeconds: config.pollWaitSeconds,
        VisibilityTimeout: config.visibilityTimeoutSeconds,
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
      }),
      // Deliberately not aborted on stop: SQS may still hand an abandoned poll a message,
      // which would then stay out of sight for a whole visibility timeout.
    );
    return result.Messages ?? [];
  }

  async delete(receiptHandle: string, executionId?: string): Promise<void> {
    const { sqs, config, logger } = this.options;
    try {
      await this.retry('deleting a message', () =>
        sqs.send(
          new DeleteMessageCommand({ QueueUrl: config.queueUrl, ReceiptHandle: receiptHandle }),
        ),
      );
    } catch (error) {
      if (!isPermanent(error) && !this.hardStop.signal.aborted) throw error;
      // The receipt expired (the message became visible again); the next delivery finds the
      // execution finished and deletes it then.
      logger.warn({ err: error, executionId }, 'could not delete a message');
    }
  }

  async returnMessage(receiptHandle: string, executionId?: string): Promise<void> {
    const { sqs, config, logger } = this.options;
    await withRetry(
      'returning a message to the queue',
      () =>
        sqs.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: config.queueUrl,
            ReceiptHandle: receiptHandle,
            VisibilityTimeout: 0,
          }),
        ),
      { logger, attempts: 3, baseDelayMs: 100, maxDelayMs: 500 },
    ).catch((error: unknown) =>
      logger.warn({ err: error, executionId }, 'could not return a message; it returns on its own'),
    );
  }

  async delay(receiptHandle: string, seconds: number, executionId?: string): Promise<void> {
    const { sqs, config, logger } = this.options;
    await this.retry('delaying a duplicate message', () =>
      sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: config.queueUrl,
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: Math.min(MAX_VISIBILITY_SECONDS, Math.max(1, seconds)),
        }),
      ),
    ).catch((error: unknown) => logger.warn({ err: error, executionId }, 'could not delay it'));
  }

  async extend(receiptHandle: string): Promise<void> {
    const { sqs, config } = this.options;
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: config.queueUrl,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: config.visibilityTimeoutSeconds,
      }),
    );
  }

  async resend(receiptHandle: string, body: string, delaySeconds: number): Promise<void> {
    const { sqs, config } = this.options;
    await this.retry('sending a message back to wait', () =>
      sqs.send(
        new SendMessageCommand({
          QueueUrl: config.queueUrl,
          MessageBody: body,
          DelaySeconds: Math.max(0, Math.min(MAX_SQS_DELAY_SECONDS, Math.ceil(delaySeconds))),
        }),
      ),
    );
    await this.delete(receiptHandle);
  }

  async deadLetter(body: string, attributes: Record<string, string>): Promise<void> {
    const { sqs, config } = this.options;
    const MessageAttributes = Object.fromEntries(
      Object.entries(attributes).map(([name, value]) => [
        name,
        { DataType: 'String', StringValue: value },
      ]),
    );
    await this.retry('sending a message to the dead-letter queue', () =>
      sqs.send(
        new SendMessageCommand({
          QueueUrl: config.deadLetterQueueUrl,
          MessageBody: body,
          MessageAttributes,
        }),
      ),
    );
  }

  giveUp(): void {
    this.hardStop.abort();
  }

  private retry<T>(what: string, call: () => Promise<T>): Promise<T> {
    return withRetry(what, call, { logger: this.options.logger, signal: this.hardStop.signal });
  }
}
