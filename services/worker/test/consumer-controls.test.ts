/**
 * The consumer's waits, over the in-memory fakes: a paused workflow's message and a message not
 * due yet are sent back as fresh messages (so waiting uses up no receive count), never claimed
 * and never run.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { harness, message, type Harness } from './support/consumer-fakes.js';

const tick = () => vi.advanceTimersByTimeAsync(0);

let h: Harness;
beforeEach(() => {
  vi.useFakeTimers();
  h = harness();
});
afterEach(() => {
  h.consumer.stopReceiving();
  h.queue.close();
  vi.useRealTimers();
});

describe('waiting messages', () => {
  it("sends a paused workflow's message back with the recheck delay, unclaimed and unrun", async () => {
    h.paused.push({ workflowId: 'w', reason: 'maintenance', pausedAt: 't', pausedBy: 'ops' });
    h.consumer.start();
    const received = message({ workflowId: 'w', executionId: 'e1' }, 2);
    h.queue.push(received);
    await tick();
    expect(h.script.log).toContain(`resend ${received.ReceiptHandle} 5`);
    expect(h.script.log.some((entry) => entry.startsWith('claim'))).toBe(false);
    expect(h.executor.runs).toHaveLength(0);
    // The copy keeps the execution and the attempt this delivery would have run as.
    expect(JSON.parse(h.queue.resent.at(-1)!)).toEqual({
      executionId: 'e1',
      workflowId: 'w',
      attempt: 2,
    });
  });

  it('runs the same message once its workflow is no longer paused', async () => {
    h.consumer.start();
    h.queue.push(message({ workflowId: 'w', executionId: 'e2' }));
    await tick();
    expect(h.executor.runs).toHaveLength(1);
    expect(h.queue.resent).toEqual([]);
  });

  it('sends a message that is not due yet on with the time it still has to wait', async () => {
    h.consumer.start();
    const notBefore = Date.now() + 2000 * 1000;
    const received = message({ workflowId: 'w', executionId: 'e3', attempt: 2, notBefore });
    h.queue.push(received);
    await tick();
    expect(h.script.log).toContain(`resend ${received.ReceiptHandle} 2000`);
    expect(JSON.parse(h.queue.resent.at(-1)!)).toMatchObject({ attempt: 2, notBefore });
    expect(h.executor.runs).toHaveLength(0);
  });
});

describe('a cancel whose worker was lost', () => {
  it('ends the execution CANCELLED on the next delivery instead of running it again', async () => {
    h.executions.records.set('e4', {
      executionId: 'e4',
      workflowId: 'w',
      status: 'RUNNING',
      queuedAt: 't',
      leaseOwner: 'worker-gone',
      leaseExpiresAt: Date.now() - 1,
      cancelRequestedAt: 't',
      cancelRequestedBy: 'ops',
    });
    h.consumer.start();
    const received = message({ workflowId: 'w', executionId: 'e4' }, 2);
    h.queue.push(received);
    await tick();
    expect(h.executor.runs).toHaveLength(0);
    expect(h.executions.records.get('e4')).toMatchObject({
      status: 'CANCELLED',
      errorType: 'Cancelled',
    });
    expect(h.script.log.at(-1)).toBe(`delete ${received.ReceiptHandle}`);
  });
});

describe('a collateral neighbour of a blocked thread', () => {
  const culprit = { executionId: 'spin', workflowId: 'cpu-spin' };
  const collateral = { status: 'COLLATERAL', culprit, reason: 'its thread was blocked', logs: [] };

  it('goes back to the queue when a retry (attempt 3 in the body) is on its first delivery', async () => {
    h.consumer.start();
    const received = message({ workflowId: 'w', executionId: 'e5', attempt: 3 }, 1);
    h.queue.push(received);
    await tick();
    expect(h.executor.runs[0]!.job.attempt).toBe(3);
    h.executor.runs[0]!.finish(collateral as never);
    await tick();
    // SQS has delivered it once: two deliveries remain, so it is retried on a healthy thread.
    expect(h.script.log).toContain(`return ${received.ReceiptHandle}`);
    expect(h.executions.records.get('e5')?.status).toBe('RUNNING');
  });

  it("ends FAILED/CollateralFailure naming the culprit on the queue's last delivery", async () => {
    h.consumer.start();
    h.queue.push(message({ workflowId: 'w', executionId: 'e6' }, 3));
    await tick();
    h.executor.runs[0]!.finish(collateral as never);
    await tick();
    expect(h.executions.records.get('e6')).toMatchObject({
      status: 'FAILED',
      errorType: 'CollateralFailure',
      culprit,
    });
  });
});
