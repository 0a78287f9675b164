/** Helpers for the processes an executor forks: start, watch, and stop them with a hard cap. */
import { fork, type ChildProcess } from 'node:child_process';

export interface ForkedProcess {
  child: ChildProcess;
  pid: number;
  /** Resolves when the process has exited (never rejects). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function forkRunner(
  entry: URL,
  options: { env: Record<string, string>; execArgv?: string[]; captureStderr?: boolean },
): ForkedProcess {
  const child = fork(entry, [], {
    // Never the worker's own environment: runners get an allow-listed one (workflow-env.ts).
    env: options.env,
    // Not the parent's execArgv: a loader or inspector flag there must not cost every child.
    execArgv: options.execArgv ?? [],
    stdio: ['ignore', 'inherit', options.captureStderr ? 'pipe' : 'inherit', 'ipc'],
    serialization: 'json',
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      // 'exit' can come before the last IPC messages are read; the channel closes after them.
      if (!child.connected) return resolve({ code, signal });
      const timer = setTimeout(() => resolve({ code, signal }), 1000);
      child.once('disconnect', () => {
        clearTimeout(timer);
        resolve({ code, signal });
      });
    });
    // A process that never started emits 'error' and no 'exit'.
    child.once('error', () => {
      if (child.pid === undefined) resolve({ code: null, signal: null });
    });
  });
  return { child, pid: child.pid ?? -1, exited };
}

/** Sends a message if the channel is still open; a message to a dead process is simply dropped. */
export function sendTo(child: ChildProcess, message: unknown): boolean {
  if (!child.connected) return false;
  try {
    child.send(message as object, (error) => void error);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL once `capMs` has passed; resolves when the process is gone. */
export async function terminate(process: ForkedProcess, capMs: number): Promise<void> {
  const { child } = process;
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), capMs);
  await process.exited;
  clearTimeout(timer);
}
