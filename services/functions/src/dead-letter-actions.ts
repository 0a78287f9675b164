/**
 * Operator actions on the dead-letter queue: list (a peek that leaves every message in place),
 * redrive (back to the work queue) and delete.
 *
 * A redrive by id "takes" the messages first: it receives them with a visibility timeout, so a
 * second redrive running at the same time cannot see them; it sends each back to the work queue
 * and only then deletes it from the dead-letter queue. A crash between the two leaves a copy in
 * each queue; the execution id is the same in both and the worker's conditional claim runs it once
 * (the second delivery finds it finished and is deleted). A redrive of everything in AWS uses
 * SQS's own message move task, which SQS runs at most once per queue at a time.
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  StartMessageMoveTaskCommand,
  type Message,
  type MessageAttributeValue,
} from '@aws-sdk/client-sqs';
import {
  executionIdOf,
  type DeadLetterSummary,
  type DeadLettersResponse,
  type DeleteDeadLettersResponse,
  type RedriveResponse,
} from '@warden/core';
import { peekDeadLetters } from './dead-letters.js';
import type { ControlPlaneDeps } from './deps.js';

/** How long a taken message stays hidden while it is moved or deleted. */
const TAKE_VISIBILITY_SECONDS = 60;
/** Bounds one take: at most this many ReceiveMessage calls of 10 messages. */
const TAKE_BATCHES = 30;
const PREVIEW_CHARS = 500;

export async function listDeadLetters(deps: ControlPlaneDeps): Promise<DeadLettersResponse> {
  const [messages, attributes] = await Promise.all([
    peekDeadLetters(deps),
    deps.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: deps.config.deadLetterQueueUrl,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    ),
  ]);
  const summaries = await Promise.all(
    messages.map(async (message): Promise<DeadLetterSummary> => {
      const executionId = executionIdOf(message);
      const record = executionId ? await deps.repos.executions.get(executionId) : undefined;
      const sent = Number(message.Attributes?.SentTimestamp);
      const body = message.Body ?? '';
      return {
        messageId: message.MessageId!,
        bodyPreview: body.length > PREVIEW_CHARS ? `${body.slice(0, PREVIEW_CHARS)}…` : body,
        receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 0) || 0,
        ...(Number.isFinite(sent) && sent > 0 ? { firstSentAt: new Date(sent).toISOString() } : {}),
        ...(executionId ? { executionId } : {}),
        ...(record
          ? {
              workflowId: record.workflowId,
              status: record.status,
              ...(record.errorType ? { errorType: record.errorType } : {}),
            }
          : {}),
      };
    }),
  );
  summaries.sort((a, b) => (a.firstSentAt ?? '').localeCompare(b.firstSentAt ?? ''));
  return {
    depth: Number(attributes.Attributes?.ApproximateNumberOfMessages ?? 0) || 0,
    messages: summaries,
  };
}

/**
 * Receives the wanted messages (all when `wanted` is undefined), hidden for a while; every other
 * message received on the way is handed back at once.
 */
async function take(deps: ControlPlaneDeps, wanted: Set<string> | undefined): Promise<Message[]> {
  const { sqs, config } = deps;
  const taken = new Map<string, Message>();
  const seen = new Set<string>();
  for (let batch = 0; batch < TAKE_BATCHES; batch++) {
    if (wanted && taken.size === wanted.size) break;
    const result = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: config.deadLetterQueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: TAKE_VISIBILITY_SECONDS,
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
        MessageAttributeNames: ['All'],
      }),
    );
    const messages = result.Messages ?? [];
    let fresh = 0;
    for (const message of messages) {
      const id = message.MessageId!;
      if (!seen.has(id)) fresh++;
      seen.add(id);
      if (!wanted || wanted.has(id)) {
        taken.set(id, message);
      } else {
        await sqs
          .send(
            new ChangeMessageVisibilityCommand({
              QueueUrl: config.deadLetterQueueUrl,
              ReceiptHandle: message.ReceiptHandle,
              VisibilityTimeout: 0,
            }),
          )
          .catch(() => undefined);
      }
    }
    if (fresh === 0) break;
  }
  return [...taken.values()];
}

/** The message attributes a redriven message keeps: not the worker's notes on why it failed. */
function keptAttributes(message: Message): Record<string, MessageAttributeValue> | undefined {
  const kept = Object.entries(message.MessageAttributes ?? {}).filter(
    ([name]) => !name.startsWith('warden.'),
  );
  return kept.length ? Object.fromEntries(kept) : undefined;
}

/** True when the queues are SQS itself (not an emulator), which has the message move task. */
function onAws(queueUrl: string): boolean {
  if (process.env.AWS_ENDPOINT_URL_SQS || process.env.AWS_ENDPOINT_URL) return false;
  try {
    return new URL(queueUrl).hostname.endsWith('.amazonaws.com');
  } catch {
    return false;
  }
}

export async function redriveDeadLetters(
  deps: ControlPlaneDeps,
  messageIds: string[] | 'all',
): Promise<RedriveResponse> {
  const { sqs, config, logger, publisher } = deps;
  if (messageIds === 'all' && onAws(config.deadLetterQueueUrl)) {
    // SQS moves them itself, back to the queue they came from, and refuses a second task on
    // the same queue while one runs.
    const arn = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: config.deadLetterQueueUrl,
        AttributeNames: ['QueueArn'],
      }),
    );
    const task = await sqs.send(
      new StartMessageMoveTaskCommand({ SourceArn: arn.Attributes!.QueueArn! }),
    );
    return { method: 'move-task', moved: [], notFound: [], taskHandle: task.TaskHandle };
  }
  const wanted = messageIds === 'all' ? undefined : new Set(messageIds);
  const taken = await take(deps, wanted);
  const moved: string[] = [];
  for (const message of taken) {
    const id = message.MessageId!;
    try {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: config.queueUrl,
          MessageBody: message.Body ?? '',
          MessageAttributes: keptAttributes(message),
        }),
      );
    } catch (error) {
      logger.warn({ err: error, messageId: id }, 'could not redrive a dead letter; left in place');
      await sqs
        .send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: config.deadLetterQueueUrl,
            ReceiptHandle: message.ReceiptHandle,
            VisibilityTimeout: 0,
          }),
        )
        .catch(() => undefined);
      continue;
    }
    await sqs.send(
      new DeleteMessageCommand({
        QueueUrl: config.deadLetterQueueUrl,
        ReceiptHandle: message.ReceiptHandle,
      }),
    );
    moved.push(id);
    const executionId = executionIdOf(message);
    await publisher.publish({
      type: 'queue_changed',
      change: 'redriven',
      ...(executionId ? { executionId } : {}),
    });
  }
  logger.info({ moved: moved.length }, 'redrove dead letters to the work queue');
  return {
    method: 'copy',
    moved,
    notFound: wanted ? [...wanted].filter((id) => !moved.includes(id)) : [],
  };
}

export async function deleteDeadLetters(
  deps: ControlPlaneDeps,
  messageIds: string[],
): Promise<DeleteDeadLettersResponse> {
  const taken = await take(deps, new Set(messageIds));
  const deleted: string[] = [];
  for (const message of taken) {
    await deps.sqs.send(
      new DeleteMessageCommand({
        QueueUrl: deps.config.deadLetterQueueUrl,
        ReceiptHandle: message.ReceiptHandle,
      }),
    );
    deleted.push(message.MessageId!);
  }
  deps.logger.info({ deleted: deleted.length }, 'deleted dead letters');
  return { deleted, notFound: messageIds.filter((id) => !deleted.includes(id)) };
}
