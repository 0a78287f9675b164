import { describe, expect, it } from 'vitest';
import {
  MAX_INPUT_DEPTH,
  checkWorkMessage,
  executionIdOf,
  jsonDepth,
  workflowIdOf,
} from '../src/index.js';
import { describeZodError, workMessageSchema } from '../src/schemas.js';

describe('reading a work message', () => {
  it('takes the execution id from the body when it is valid, else the SQS message id', () => {
    expect(executionIdOf({ Body: '{"executionId":"e-1"}', MessageId: 'm' })).toBe('e-1');
    expect(executionIdOf({ Body: '{"executionId":"bad id"}', MessageId: 'm' })).toBe('m');
    expect(executionIdOf({ Body: 'not json', MessageId: 'm' })).toBe('m');
    expect(workflowIdOf({ Body: '{"workflowId":"echo"}' })).toBe('echo');
    expect(workflowIdOf({ Body: '{"workflowId":"bad id"}' })).toBeUndefined();
  });
});

describe('input depth', () => {
  const nested = (levels: number) => {
    let value: unknown = 1;
    for (let i = 0; i < levels; i++) value = i % 2 ? [value] : { a: value };
    return value;
  };

  it('counts objects and arrays, not scalars', () => {
    expect([jsonDepth(1), jsonDepth({}), jsonDepth({ a: [1] }), jsonDepth(nested(7))]).toEqual([
      0, 1, 2, 7,
    ]);
  });

  it('measures input far deeper than any stack without recursing', () => {
    expect(jsonDepth(nested(200_000), MAX_INPUT_DEPTH)).toBe(MAX_INPUT_DEPTH + 1);
  });

  it('accepts input at the limit and refuses one level more, naming the limit', () => {
    expect(workMessageSchema.safeParse({ workflowId: 'w', input: nested(16) }).success).toBe(true);
    const deeper = workMessageSchema.safeParse({ workflowId: 'w', input: nested(17) });
    expect(deeper.success).toBe(false);
    expect(deeper.error?.issues[0]).toMatchObject({
      path: ['input'],
      message: expect.stringContaining('at most 16 are accepted (MAX_INPUT_DEPTH)'),
    });
    // The worker's hand-written check refuses the same input with the same words.
    expect(checkWorkMessage({ workflowId: 'w', input: nested(16) }).ok).toBe(true);
    const refused = checkWorkMessage({ workflowId: 'w', input: nested(17) });
    expect(refused.ok ? '' : refused.problems).toContain(
      'input: nests objects and arrays more than 16 levels deep; at most 16 are accepted',
    );
  });
});

describe('checkWorkMessage (the worker validates messages without zod)', () => {
  it('accepts what the schema accepts, keeping only the given fields', () => {
    const body = { executionId: 'e-1', workflowId: 'echo', input: { a: 1 }, timeoutSeconds: 5 };
    expect(checkWorkMessage(body)).toEqual({ ok: true, value: body });
    expect(checkWorkMessage({ workflowId: 'noop' })).toEqual({
      ok: true,
      value: { workflowId: 'noop' },
    });
    expect(workMessageSchema.safeParse(body).success).toBe(true);
  });

  it.each([
    [null, '(body): expected an object'],
    [[1], '(body): expected an object'],
    [{}, 'workflowId: required'],
    [{ workflowId: 'has space' }, 'workflowId: must be 1-128 characters'],
    [{ workflowId: 'w', executionId: 7 }, 'executionId: must be 1-128 characters'],
    [{ workflowId: 'w', timeoutSeconds: 0 }, 'timeoutSeconds: must be a number above 0'],
    [{ workflowId: 'w', timeoutSeconds: 50_000 }, 'at most 43200'],
    [{ workflowId: 'w', extra: true }, '(body): unrecognized keys: extra'],
  ])('rejects %j naming the field and the rule', (body, problem) => {
    const result = checkWorkMessage(body);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.problems).toContain(problem);
    // The control plane's schema refuses the same bodies.
    const parsed = workMessageSchema.safeParse(body);
    expect(parsed.success).toBe(false);
    if (!parsed.success) expect(describeZodError(parsed.error)).not.toBe('');
  });
});
