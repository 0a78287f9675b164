import { beforeEach, describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import {
  FORGET_AFTER_MS,
  MAX_SAMPLES,
  MAX_SERIES_PER_WORKER,
  useMemoryStore,
} from '../src/stores/memory';
import { processSnapshot } from './support/fixtures';

const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms).toISOString();

beforeEach(() => setActivePinia(createPinia()));

describe('memory over time', () => {
  it('keeps one line per process, in time order, skipping unmeasured samples and repeats', () => {
    const memory = useMemoryStore();
    memory.record('w', [processSnapshot({ pid: 1, generation: 1, memoryMb: 40 })], at(0));
    memory.record(
      'w',
      [
        processSnapshot({ pid: 1, generation: 1, memoryMb: 42 }),
        processSnapshot({ pid: 2, generation: 2, memoryMb: 0 }),
      ],
      at(10_000),
    );
    memory.record('w', [processSnapshot({ pid: 1, generation: 1, memoryMb: 99 })], at(10_000));
    const [line, ...others] = memory.forWorker('w');
    expect(others).toEqual([]);
    expect(line).toMatchObject({ pid: 1, generation: 1, kind: 'pss' });
    expect(line?.samples).toEqual([
      { t: Date.parse(at(0)), mb: 40 },
      { t: Date.parse(at(10_000)), mb: 42 },
    ]);
  });

  it('stays bounded: samples per process, lines per worker, and forgets processes long gone', () => {
    const memory = useMemoryStore();
    for (let i = 0; i < MAX_SAMPLES + 20; i += 1) {
      memory.record('w', [processSnapshot({ pid: 1, generation: 1, memoryMb: 50 })], at(i * 1000));
    }
    expect(memory.forWorker('w')[0]?.samples).toHaveLength(MAX_SAMPLES);

    // Process mode forks a process per execution: only the most recent ones are drawn.
    for (let pid = 100; pid < 120; pid += 1) {
      memory.record(
        'w',
        [processSnapshot({ pid, generation: pid, memoryMb: 10 })],
        at(300_000 + pid * 1000),
      );
    }
    const lines = memory.forWorker('w');
    expect(lines).toHaveLength(MAX_SERIES_PER_WORKER);
    expect(lines.map((l) => l.pid)).toEqual([112, 113, 114, 115, 116, 117, 118, 119]);

    memory.record(
      'w',
      [processSnapshot({ pid: 500, generation: 500, memoryMb: 10 })],
      at(300_000 + 120_000 + FORGET_AFTER_MS + 1),
    );
    expect(memory.forWorker('w').map((l) => l.pid)).toEqual([500]);
  });
});
