/**
 * Memory of a worker's whole process tree (its main process and every process it started) by
 * PSS: shared pages are split fairly between the processes that map them, so the sum is what the
 * tree really costs. Summed RSS counts the Node binary and shared libraries once per process, so
 * it is reported only as a labelled comparison.
 */
import { readMemoryDetail } from '@warden/worker';
import { descendants } from '../../test/support/processes.js';

export interface ProcessMemory {
  pid: number;
  pssMb: number;
  rssMb: number;
  ussMb: number;
}

export interface TreeMemory {
  pssMb: number;
  /** Summed RSS: overcounts shared pages; for comparison only. */
  rssSumMb: number;
  processes: ProcessMemory[];
}

export function readTreeMemory(rootPid: number): TreeMemory {
  const processes: ProcessMemory[] = [];
  for (const pid of [rootPid, ...descendants(rootPid)]) {
    const detail = readMemoryDetail(pid);
    if (detail) processes.push({ pid, ...detail });
  }
  if (!processes.length) {
    throw new Error(
      `cannot read /proc/${rootPid}/smaps_rollup: PSS needs Linux and a live process`,
    );
  }
  return {
    pssMb: processes.reduce((sum, p) => sum + p.pssMb, 0),
    rssSumMb: processes.reduce((sum, p) => sum + p.rssMb, 0),
    processes,
  };
}
