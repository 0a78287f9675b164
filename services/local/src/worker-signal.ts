/**
 * Stops a local worker the way ECS stops a task: SIGTERM to its main process (the worker then
 * drains and deregisters). Only a process on this machine whose command line is a Warden worker
 * is signalled, so a stale or forged pid in the Workers table cannot hit anything else.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { promisify } from 'node:util';
import type { WorkerRecord } from '@warden/core';
import { StopRefusedError, type WorkerStopper } from '@warden/functions';

async function commandLine(pid: number): Promise<string | undefined> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ').trim();
  } catch {
    // No procfs (macOS): ask ps. A pid that does not exist makes ps fail.
    try {
      const { stdout } = await promisify(execFile)('ps', ['-o', 'command=', '-p', String(pid)]);
      return stdout.trim() || undefined;
    } catch {
      return undefined;
    }
  }
}

/** The worker's entry point, as `node …/services/worker/dist/main.js`. */
export const isWorkerCommand = (command: string): boolean =>
  /node/.test(command) && /worker[\\/]dist[\\/]main\.js/.test(command);

export class LocalWorkerStopper implements WorkerStopper {
  constructor(private readonly looksLikeWorker: (command: string) => boolean = isWorkerCommand) {}

  async stop(worker: WorkerRecord, _reason: string): Promise<string> {
    if (worker.hostname !== hostname()) {
      throw new StopRefusedError(
        `Worker ${worker.workerId} runs on ${worker.hostname}, not on this machine (${hostname()}): stop it there`,
      );
    }
    const pid = worker.mainPid;
    if (!Number.isInteger(pid) || pid <= 1) {
      throw new StopRefusedError(`Worker ${worker.workerId} registered no usable main pid`);
    }
    const command = await commandLine(pid);
    if (!command) {
      throw new StopRefusedError(
        `Process ${pid} of worker ${worker.workerId} is not running any more`,
      );
    }
    if (!this.looksLikeWorker(command)) {
      throw new StopRefusedError(
        `Process ${pid} is not a Warden worker (it runs "${command.slice(0, 120)}"): the pid was reused; nothing was signalled`,
      );
    }
    process.kill(pid, 'SIGTERM');
    return `local process ${pid}`;
  }
}
