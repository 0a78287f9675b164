/** Tells people when the circuit breaker trips: an SNS topic in AWS, the log otherwise. */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { BlacklistEntry, Logger } from '@warden/core';

export interface Notifier {
  workflowBlacklisted(entry: BlacklistEntry): Promise<void>;
}

export function describeTrip(entry: BlacklistEntry): { subject: string; message: string } {
  return {
    subject: `Warden: workflow ${entry.workflowId} blacklisted`.slice(0, 99),
    message: [
      `Workflow ${entry.workflowId} was blacklisted at ${entry.blacklistedAt}.`,
      `Reason: ${entry.reason}${entry.stuckCount !== undefined ? ` (${entry.stuckCount} stuck executions inside the window)` : ''}.`,
      'Every entry point now refuses it. Investigate its stuck executions (admin app, Stuck history),',
      'fix the workflow, then remove it from the blacklist; removal resets its stuck counter.',
    ].join('\n'),
  };
}

export class SnsNotifier implements Notifier {
  constructor(
    private readonly sns: SNSClient,
    private readonly topicArn: string,
  ) {}

  async workflowBlacklisted(entry: BlacklistEntry): Promise<void> {
    const { subject, message } = describeTrip(entry);
    await this.sns.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: subject,
        Message: message,
        MessageAttributes: {
          workflowId: { DataType: 'String', StringValue: entry.workflowId },
        },
      }),
    );
  }
}

/** Without a topic (the local stack), the trip is written to the log for whoever watches it. */
export class LogNotifier implements Notifier {
  constructor(private readonly logger: Logger) {}

  async workflowBlacklisted(entry: BlacklistEntry): Promise<void> {
    this.logger.warn({ entry }, describeTrip(entry).subject);
  }
}
