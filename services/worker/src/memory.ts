/**
 * Memory of a process as the kernel accounts it. PSS (proportional set size, from
 * /proc/<pid>/smaps_rollup) splits shared pages fairly between the processes that map them, so
 * summing it over processes does not count the Node binary once per process as RSS does.
 */
import { readFileSync } from 'node:fs';

export interface MemoryReading {
  /** PSS where readable, else RSS, in MB. */
  mb: number;
  kind: 'pss' | 'rss';
  rssMb: number;
}

const field = (text: string, name: string): number | undefined => {
  const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
  return match ? Number(match[1]) / 1024 : undefined;
};

const round = (mb: number): number => Math.round(mb * 10) / 10;

export function readMemory(pid: number): MemoryReading | undefined {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const pss = field(rollup, 'Pss');
    const rss = field(rollup, 'Rss');
    if (pss !== undefined && rss !== undefined) {
      return { mb: round(pss), kind: 'pss', rssMb: round(rss) };
    }
  } catch {
    // Not Linux, or not allowed to read it: fall back to RSS.
  }
  try {
    const rss = field(readFileSync(`/proc/${pid}/status`, 'utf8'), 'VmRSS');
    if (rss !== undefined) return { mb: round(rss), kind: 'rss', rssMb: round(rss) };
  } catch {
    // As above.
  }
  if (pid === process.pid) {
    const rss = process.memoryUsage.rss() / 1024 / 1024;
    return { mb: round(rss), kind: 'rss', rssMb: round(rss) };
  }
  return undefined;
}

export interface MemoryDetail {
  pssMb: number;
  rssMb: number;
  /** Unique set size: pages no other process maps (private clean + private dirty). */
  ussMb: number;
}

/** PSS, RSS and USS of a process (Linux only; undefined elsewhere or once it has exited). */
export function readMemoryDetail(pid: number): MemoryDetail | undefined {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const pss = field(rollup, 'Pss');
    const rss = field(rollup, 'Rss');
    const privateClean = field(rollup, 'Private_Clean') ?? 0;
    const privateDirty = field(rollup, 'Private_Dirty') ?? 0;
    if (pss === undefined || rss === undefined) return undefined;
    return { pssMb: pss, rssMb: rss, ussMb: privateClean + privateDirty };
  } catch {
    return undefined;
  }
}
