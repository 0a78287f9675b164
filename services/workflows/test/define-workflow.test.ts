import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  InvalidWorkflowError,
  checkWorkflowDefinition,
  defineWorkflow,
  type WorkflowContext,
} from '../src/index.js';

describe('defineWorkflow', () => {
  it('returns the definition with typed input and output', async () => {
    const workflow = defineWorkflow({
      id: 'greet',
      timeoutSeconds: 5,
      run: (input: { name: string }, ctx) => {
        expectTypeOf(ctx).toEqualTypeOf<WorkflowContext>();
        return { greeting: `hello ${input.name}` };
      },
    });
    const ctx = {
      signal: new AbortController().signal,
      executionId: 'e1',
      workflowId: 'greet',
      attempt: 1,
      log: () => {},
    };
    expect(await workflow.run({ name: 'Ada' }, ctx)).toEqual({ greeting: 'hello Ada' });
  });

  it('throws at definition time, naming every problem', () => {
    expect(() =>
      defineWorkflow({ id: 'has space', timeoutSeconds: 0, run: undefined as never }),
    ).toThrow(InvalidWorkflowError);
    expect(checkWorkflowDefinition({ id: 'has space', timeoutSeconds: 0 })).toEqual([
      'id "has space" is not valid: expected 1-128 letters, digits, ".", "_", ":" or "-"',
      'timeoutSeconds 0 is not valid: expected a number above 0 and at most 43200',
      'run must be a function (input, ctx)',
    ]);
    expect(checkWorkflowDefinition(null)).toEqual([
      "the default export must be an object { id, name?, timeoutSeconds?, isolation?: 'thread', retry?, idempotent?, run(input, ctx) }",
    ]);
  });

  it("accepts isolation: 'thread' and names any other isolation as invalid", () => {
    const alone = defineWorkflow({ id: 'alone', isolation: 'thread', run: () => 1 });
    expect(alone.isolation).toBe('thread');
    expect(checkWorkflowDefinition({ id: 'x', isolation: 'process', run: () => 1 })).toEqual([
      `isolation "process" is not valid: expected 'thread' or nothing`,
    ]);
  });

  it('types a retry policy and names what is wrong with a bad one', () => {
    const workflow = defineWorkflow({
      id: 'retried',
      retry: { attempts: 3, backoffSeconds: 5, backoffRate: 2 },
      idempotent: true,
      run: () => 'ok',
    });
    expectTypeOf(workflow.retry).toEqualTypeOf<
      { attempts: number; backoffSeconds: number; backoffRate?: number } | undefined
    >();
    expect(
      checkWorkflowDefinition({
        id: 'bad-retry',
        retry: { attempts: 0, backoffSeconds: -1, backoffRate: 0.5, delay: 1 },
        idempotent: 'yes',
        run: () => 1,
      }),
    ).toEqual([
      expect.stringContaining('retry.attempts 0 is not valid'),
      expect.stringContaining('retry.backoffSeconds -1 is not valid'),
      expect.stringContaining('retry.backoffRate 0.5 is not valid'),
      expect.stringContaining('retry.delay is not accepted'),
      'idempotent must be true or false when given',
    ]);
    expect(checkWorkflowDefinition({ id: 'x', retry: 3, run: () => 1 })).toEqual([
      expect.stringContaining('retry is not valid: expected { attempts: integer 1-10'),
    ]);
  });
});
