/**
 * Fires a task every `intervalMs`, like the EventBridge schedule that runs the circuit breaker
 * in AWS. Runs never overlap: the next one is scheduled when the previous one has finished.
 */
import type { Logger } from '@warden/core';

export interface Scheduler {
  stop(): Promise<void>;
}

export function startScheduler(options: {
  name: string;
  intervalMs: number;
  task: () => Promise<unknown>;
  logger: Logger;
}): Scheduler {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  const tick = (): void => {
    running = options
      .task()
      .then(() => undefined)
      .catch((error: unknown) => {
        options.logger.error({ err: error, task: options.name }, 'scheduled run failed');
      })
      .finally(() => {
        running = undefined;
        if (!stopped) timer = setTimeout(tick, options.intervalMs);
      });
  };
  timer = setTimeout(tick, options.intervalMs);

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
