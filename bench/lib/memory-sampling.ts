/**
 * How both memory benchmarks (`npm run bench`, `npm run bench:container`) load a worker and read
 * it: `sdk-io` executions sent to its queue, then memory sampled until the total is steady
 * ("busy") and again once the executions have awaited SETTLE_MS ("settled").
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** How long after placement the settled sample is taken (V8's memory reducer acts within ~10 s). */
export const SETTLE_MS = 15_000;

/** Sends one `sdk-io` execution per id, each holding for `holdMs` once it has made its call. */
export async function sendSdkIo(
  sqs: SQSClient,
  queueUrl: string,
  ids: string[],
  holdMs: number,
  timeoutSeconds: number,
): Promise<void> {
  for (let i = 0; i < ids.length; i += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: ids.slice(i, i + 10).map((executionId, j) => ({
          Id: String(j),
          MessageBody: JSON.stringify({
            executionId,
            workflowId: 'sdk-io',
            input: { holdMs },
            timeoutSeconds,
          }),
        })),
      }),
    );
  }
}

/**
 * Samples every 400 ms until three samples in a row agree on PSS within 1 % (loading the SDK and
 * making the call take a moment; 20 s at most), then three more once SETTLE_MS have passed since
 * the first. Returns the last three of each.
 */
export async function sampleBusyAndSettled<T extends { pssMb: number }>(
  read: () => T,
): Promise<{ busy: T[]; settled: T[] }> {
  const samples: T[] = [];
  const since = Date.now();
  for (;;) {
    await sleep(400);
    samples.push(read());
    const [a, , c] = samples.slice(-3);
    const steady = a && c && samples.length >= 3 && Math.abs(c.pssMb - a.pssMb) / c.pssMb < 0.01;
    if ((steady && Date.now() - since > 1500) || Date.now() - since > 20_000) break;
  }
  await sleep(Math.max(0, SETTLE_MS - (Date.now() - since)));
  const settled: T[] = [];
  for (let i = 0; i < 3; i++) {
    settled.push(read());
    await sleep(400);
  }
  return { busy: samples.slice(-3), settled };
}
