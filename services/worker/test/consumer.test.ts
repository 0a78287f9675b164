/**
 * The consumer's ordering rules, on a fake clock over in-memory fakes of the queue, the tables and
 * the executor (the integration suites run the same paths against the emulators and real
 * processes). Each rule is about what happens before what: a record is written before its message
 * goes, and nothing keeps a message hidden once it has been let go.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { harness, message, type Harness } from './support/consumer-fakes.js';

const tick = () => vi.advanceTimersByTimeAsync(0);
const renewals = (entries: string[]) =>
  entries.filter((entry) => entry.startsWith('renew') || entry.startsWith('extend'));

let h: Harness;
beforeEach(() => {
  vi.useFakeTimers();
  h = harness();
});
afterEach(async () => {
  h.consumer.stopReceiving();
  h.queue.close();
  vi.useRealTimers();
});

async function running(body: Record<string, unknown> = { workflowId: 'w', executionId: 'e1' }) {
  h.consumer.start();
  const received = message(body);
  h.queue.push(received);
  await tick();
  expect(h.executor.runs).toHaveLength(1);
  return received.ReceiptHandle!;
}

describe('the stuck path', () => {
  it('writes the stuck row, then the FAILED record, then stops renewing, then deletes the message', async () => {
    const receipt = await running();
    h.script.hold('finish');
    h.script.hold('delete');
    const stuck = h.executor.runs[0]!.stick();
    await tick();
    expect(h.script.log).toContain('stuck-row e1');
    expect(h.script.log).toContain('finish e1 FAILED');

    // While the FAILED record is being written, the lease and the message are still kept.
    await vi.advanceTimersByTimeAsync(h.renewEveryMs);
    expect(renewals(h.script.after('finish e1 FAILED'))).toEqual(['renew e1', `extend ${receipt}`]);

    h.script.open('finish');
    await tick();
    expect(h.script.log.at(-1)).toBe(`delete ${receipt}`);
    // Renewal stopped before the delete: nothing extends the message while it is being deleted.
    await vi.advanceTimersByTimeAsync(3 * h.renewEveryMs);
    expect(renewals(h.script.after(`delete ${receipt}`))).toEqual([]);

    h.script.open('delete');
    await stuck;
    const order = ['stuck-row e1', 'finish e1 FAILED', `delete ${receipt}`].map((entry) =>
      h.script.log.indexOf(entry),
    );
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(h.executions.records.get('e1')).toMatchObject({
      status: 'FAILED',
      errorType: 'ExecutionStuck',
    });
  });

  it('keeps the message when the lease was lost before the record could be written', async () => {
    const receipt = await running();
    h.executions.records.get('e1')!.leaseOwner = 'worker-2';
    await h.executor.runs[0]!.stick();
    expect(h.script.log).toContain('finish e1 FAILED');
    expect(h.script.log).not.toContain(`delete ${receipt}`);
  });
});

describe('finishing', () => {
  it('records SUCCESS, stops renewing, and only then deletes the message', async () => {
    const receipt = await running();
    h.script.hold('delete');
    h.executor.runs[0]!.finish({ status: 'SUCCESS', output: { ok: true }, logs: [] });
    await tick();
    expect(h.script.after('finish e1 SUCCESS')).toEqual([`delete ${receipt}`]);
    await vi.advanceTimersByTimeAsync(3 * h.renewEveryMs);
    expect(renewals(h.script.after('finish e1 SUCCESS'))).toEqual([]);
    h.script.open('delete');
    await tick();
    expect(h.executions.records.get('e1')?.status).toBe('SUCCESS');
  });

  it('an abandoned execution: renewal stops and the lease is released before the message returns', async () => {
    const receipt = await running();
    h.script.hold('return');
    h.executor.runs[0]!.finish({ status: 'ABANDONED', reason: 'the worker is stopping' });
    await tick();
    expect(h.script.after('release e1')).toEqual([`return ${receipt}`]);
    await vi.advanceTimersByTimeAsync(3 * h.renewEveryMs);
    expect(renewals(h.script.after('release e1'))).toEqual([]);
    h.script.open('return');
  });
});

describe('giving a message back', () => {
  it('stops the keep-alive before returning a message received while the worker stops', async () => {
    h.consumer.start();
    await tick();
    h.script.hold('return');
    h.consumer.stopReceiving();
    const late = message({ workflowId: 'w', executionId: 'e1' });
    h.queue.push(late);
    await tick();
    expect(h.script.log).toEqual([`return ${late.ReceiptHandle}`]);
    // The return is slow; no extension may land after it, or the message hides for 30 s more.
    await vi.advanceTimersByTimeAsync(3 * h.renewEveryMs);
    expect(h.script.log).toEqual([`return ${late.ReceiptHandle}`]);
    h.script.open('return');
  });

  it('keeps an unclaimed message hidden while the claim waits, then stops', async () => {
    h.script.hold('claim');
    h.consumer.start();
    const received = message({ workflowId: 'w', executionId: 'e1' });
    h.queue.push(received);
    await vi.advanceTimersByTimeAsync(h.renewEveryMs);
    expect(h.script.log).toEqual(['claim e1', `extend ${received.ReceiptHandle}`]);
    h.script.open('claim');
    await tick();
    expect(h.executor.runs).toHaveLength(1);
  });
});

describe('duplicate deliveries', () => {
  it('deletes a copy of a finished execution and delays a copy of one running elsewhere', async () => {
    h.executions.records.set('done', {
      executionId: 'done',
      workflowId: 'w',
      status: 'SUCCESS',
      queuedAt: '2026-01-01T00:00:00.000Z',
    });
    h.executions.records.set('busy', {
      executionId: 'busy',
      workflowId: 'w',
      status: 'RUNNING',
      queuedAt: '2026-01-01T00:00:00.000Z',
      leaseOwner: 'worker-2',
      leaseExpiresAt: Date.now() + 20_000,
    });
    h.consumer.start();
    const finished = message({ workflowId: 'w', executionId: 'done' });
    const elsewhere = message({ workflowId: 'w', executionId: 'busy' });
    h.queue.push(finished, elsewhere);
    await tick();
    expect(h.script.log).toContain(`delete ${finished.ReceiptHandle}`);
    expect(h.script.log).toContain(`delay ${elsewhere.ReceiptHandle} 21`);
    expect(h.executor.runs).toHaveLength(0);
  });
});

describe('reused execution ids', () => {
  it("dead-letters a message naming another workflow's execution and leaves that record as it is", async () => {
    const owned = {
      executionId: 'e1',
      workflowId: 'w',
      status: 'QUEUED' as const,
      queuedAt: '2026-01-01T00:00:00.000Z',
      input: { for: 'w' },
    };
    h.executions.records.set('e1', { ...owned });
    h.consumer.start();
    const known = message({ workflowId: 'other', executionId: 'e1' });
    const unknown = message({ workflowId: 'nope', executionId: 'e1' });
    h.queue.push(known, unknown);
    await tick();
    expect(h.executor.runs).toHaveLength(0);
    expect(h.executions.records.get('e1')).toEqual(owned);
    const reasons = h.queue.deadLettered.map((letter) => letter.attributes['warden.errorType']);
    expect(reasons.sort()).toEqual(['ExecutionIdConflict', 'UnknownWorkflow']);
    expect(h.script.log).toContain(`delete ${known.ReceiptHandle}`);
    expect(h.script.log).toContain(`delete ${unknown.ReceiptHandle}`);

    h.queue.push(message({ workflowId: 'w', executionId: 'e1' }));
    await tick();
    expect(h.executor.runs.map((run) => run.job)).toMatchObject([
      { executionId: 'e1', workflowId: 'w', input: undefined },
    ]);
  });
});

describe('claiming', () => {
  it('runs its own message when a claim is retried after its answer was lost', async () => {
    h.executions.failSecondClaimWrite = 1;
    h.consumer.start();
    const received = message({ workflowId: 'w', executionId: 'e1' });
    h.queue.push(received);
    await vi.advanceTimersByTimeAsync(1000);
    expect(h.script.log.filter((entry) => entry === 'claim e1')).toHaveLength(2);
    expect(h.script.log).not.toContain(`delay ${received.ReceiptHandle} 21`);
    expect(h.executor.runs.map((run) => run.job.executionId)).toEqual(['e1']);
  });
});
