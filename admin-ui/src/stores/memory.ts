/**
 * Memory over time per process, sampled from heartbeats and resyncs, for the memory chart. Kept
 * in the browser only (the API holds the latest figure, not a history), capped per process.
 */
import { defineStore } from 'pinia';
import { reactive } from 'vue';
import type { ProcessSnapshot } from '../api/types';

export interface MemorySample {
  t: number;
  mb: number;
}

export interface ProcessSeries {
  workerId: string;
  pid: number;
  generation: number;
  kind: 'pss' | 'rss';
  samples: MemorySample[];
}

/** About 40 minutes at the default 10 s heartbeat. */
export const MAX_SAMPLES = 240;
/** A process not heard of for this long leaves the chart (process mode forks one per execution). */
export const FORGET_AFTER_MS = 30 * 60_000;
/** Lines per worker's chart: the most recently seen processes. */
export const MAX_SERIES_PER_WORKER = 8;

export const useMemoryStore = defineStore('memory', () => {
  const series = reactive<Record<string, ProcessSeries>>({});

  function record(workerId: string, processes: ProcessSnapshot[], atIso: string): void {
    const t = Date.parse(atIso);
    if (Number.isNaN(t)) return;
    for (const process of processes) {
      if (!(process.memoryMb > 0)) continue;
      const key = `${workerId}/${process.pid}/${process.generation}`;
      const entry = (series[key] ??= {
        workerId,
        pid: process.pid,
        generation: process.generation,
        kind: process.memoryKind,
        samples: [],
      });
      const last = entry.samples[entry.samples.length - 1];
      if (last && last.t >= t) continue;
      entry.samples.push({ t, mb: process.memoryMb });
      if (entry.samples.length > MAX_SAMPLES) {
        entry.samples.splice(0, entry.samples.length - MAX_SAMPLES);
      }
    }
    for (const [key, entry] of Object.entries(series)) {
      const last = entry.samples[entry.samples.length - 1];
      if (!last || last.t < t - FORGET_AFTER_MS) delete series[key];
    }
  }

  function forWorker(workerId: string): ProcessSeries[] {
    const lastSeen = (s: ProcessSeries) => s.samples[s.samples.length - 1]?.t ?? 0;
    return Object.values(series)
      .filter((s) => s.workerId === workerId)
      .sort((a, b) => lastSeen(b) - lastSeen(a))
      .slice(0, MAX_SERIES_PER_WORKER)
      .sort((a, b) => a.generation - b.generation || a.pid - b.pid);
  }

  return { series, record, forWorker };
});
