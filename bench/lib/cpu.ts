/**
 * CPU time spent by processes, from /proc (Linux): to tell what limits a throughput figure — the
 * worker, or the local stack (emulators and control plane) serving it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { descendants } from '../../test/support/processes.js';

let ticksPerSecond: number | undefined;
const ticks = (): number => {
  ticksPerSecond ??=
    Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ticksPerSecond;
};

/** User + system CPU of a process and of its children it has reaped, in ms. */
function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised name: utime, stime, cutime, cstime are fields 14-17.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const [utime, stime, cutime, cstime] = fields.slice(11, 15).map(Number);
    return ((utime! + stime! + cutime! + cstime!) * 1000) / ticks();
  } catch {
    return 0; // exited meanwhile
  }
}

/**
 * CPU of a process tree so far, in ms: live members plus what each has reaped. (A child that has
 * exited but is not reaped yet is missed; forked executions are reaped as soon as they exit.)
 */
export const treeCpuMs = (rootPid: number): number =>
  [rootPid, ...descendants(rootPid)].reduce((sum, pid) => sum + processCpuMs(pid), 0);

/** CPU of this process so far, in ms. */
export function ownCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}
