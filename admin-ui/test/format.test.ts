import { describe, expect, it } from 'vitest';
import {
  formatAgo,
  formatBlacklistReason,
  formatDuration,
  formatMemory,
  formatTiming,
} from '../src/utils/format';

describe('formatting', () => {
  it('reads blacklist reasons as people say them', () => {
    expect(formatBlacklistReason('auto:stuck:12')).toBe('12× stuck');
    expect(formatBlacklistReason('manual:bad deploy')).toBe('Manual: bad deploy');
    expect(formatBlacklistReason('something else')).toBe('something else');
  });

  it('says how long ago, and how long', () => {
    const now = Date.parse('2026-01-01T00:10:00Z');
    expect(formatAgo('2026-01-01T00:09:48Z', now)).toBe('12 s ago');
    expect(formatAgo('2026-01-01T00:09:59.500Z', now)).toBe('just now');
    expect(formatAgo(undefined, now)).toBe('—');
    expect(formatDuration(125_000)).toBe('2 min 5 s');
    expect(formatDuration(3 * 3600_000 + 12 * 60_000)).toBe('3 h 12 min');
    expect(formatDuration(50 * 3600_000)).toBe('2 d 2 h');
    expect(formatTiming(850)).toBe('850 ms');
    expect(formatTiming(1240)).toBe('1.24 s');
    expect(formatMemory(58.4)).toBe('58 MB');
    expect(formatMemory(2048)).toBe('2.00 GB');
    expect(formatMemory(0)).toBe('—');
  });
});
