import { describe, expect, it } from 'vitest';
import {
  MAX_INPUT_DEPTH,
  executionIdOf,
  jsonDepth,
  workMessageSchema,
  workflowIdOf,
} from '../src/index.js';

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
  });
});
