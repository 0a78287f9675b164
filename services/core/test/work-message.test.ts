import { describe, expect, it } from 'vitest';
import { checkWorkMessage } from '../src/domain.js';
import { describeZodError, workMessageSchema } from '../src/schemas.js';

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
