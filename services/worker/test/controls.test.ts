import { describe, expect, it } from 'vitest';
import { messageAttempt, resendBody, retryPlan } from '../src/controls.js';

describe('retry plan', () => {
  const flaky = { retry: { attempts: 3, backoffSeconds: 2, backoffRate: 3 } };

  it('retries a workflow error until the policy runs out, backing off by the rate', () => {
    expect(retryPlan(flaky, 1, 'WorkflowError')).toEqual({ nextAttempt: 2, delaySeconds: 2 });
    expect(retryPlan(flaky, 2, 'WorkflowError')).toEqual({ nextAttempt: 3, delaySeconds: 6 });
    expect(retryPlan(flaky, 3, 'WorkflowError')).toBeUndefined();
  });

  it('never retries a stuck or cancelled execution, nor anything without a policy', () => {
    expect(retryPlan(flaky, 1, 'ExecutionStuck')).toBeUndefined();
    expect(retryPlan(flaky, 1, 'Cancelled')).toBeUndefined();
    expect(retryPlan({}, 1, 'WorkflowError')).toBeUndefined();
  });

  it('retries a lost worker only for an idempotent workflow', () => {
    expect(retryPlan(flaky, 1, 'WorkerLost')).toBeUndefined();
    expect(retryPlan({ ...flaky, idempotent: true }, 1, 'WorkerLost')).toEqual({
      nextAttempt: 2,
      delaySeconds: 2,
    });
  });
});

describe('re-sent messages', () => {
  it('count the attempt from the body plus earlier deliveries of the same message', () => {
    expect(messageAttempt({}, 1)).toBe(1);
    expect(messageAttempt({}, 2)).toBe(2);
    expect(messageAttempt({ attempt: 3 }, 1)).toBe(3);
    expect(messageAttempt({ attempt: 3 }, 2)).toBe(4);
  });

  it('keep the execution id and attempt, so a raw message keeps its identity', () => {
    expect(
      JSON.parse(resendBody({ workflowId: 'echo', input: { a: 1 } }, 'msg-1', 2, 123)),
    ).toEqual({
      executionId: 'msg-1',
      workflowId: 'echo',
      input: { a: 1 },
      attempt: 2,
      notBefore: 123,
    });
    expect(JSON.parse(resendBody({ workflowId: 'echo' }, 'e1', 1))).toEqual({
      executionId: 'e1',
      workflowId: 'echo',
    });
  });
});
