import { describe, expect, it } from 'vitest';
import { conditionHeld, sortKeyRange } from '../src/repositories/dynamo-helpers.js';

describe('sortKeyRange', () => {
  it('reads both bounds with BETWEEN, which includes them', () => {
    expect(sortKeyRange('queuedAt', 'a', 'b', 'exclusive')).toEqual({
      condition: 'queuedAt BETWEEN :from AND :to',
      values: { ':from': 'a', ':to': 'b' },
    });
  });

  it('keeps a lone upper bound inclusive or exclusive as asked, and a lone lower one inclusive', () => {
    expect(sortKeyRange('k', undefined, 'b', 'exclusive').condition).toBe('k < :to');
    expect(sortKeyRange('k', undefined, 'b', 'inclusive').condition).toBe('k <= :to');
    expect(sortKeyRange('k', 'a', undefined, 'exclusive')).toEqual({
      condition: 'k >= :from',
      values: { ':from': 'a' },
    });
  });

  it('adds no condition without bounds', () => {
    expect(sortKeyRange('k', undefined, undefined, 'inclusive')).toEqual({ values: {} });
  });
});

describe('conditionHeld', () => {
  it('is false when the condition refused the write, and passes every other error on', async () => {
    const refused = Object.assign(new Error('no'), { name: 'ConditionalCheckFailedException' });
    expect(await conditionHeld(() => Promise.resolve({}))).toBe(true);
    expect(await conditionHeld(() => Promise.reject(refused))).toBe(false);
    await expect(conditionHeld(() => Promise.reject(new Error('throttled')))).rejects.toThrow(
      'throttled',
    );
  });
});
