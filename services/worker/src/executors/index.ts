import { ProcessExecutor } from './process-executor.js';
import { ThreadExecutor } from './thread-executor.js';
import type { Executor, ExecutorOptions } from './types.js';

export * from './types.js';
export { ProcessExecutor } from './process-executor.js';
export { ThreadExecutor } from './thread-executor.js';

/** The executor the feature flag selects: USE_THREAD_WORKERS=true → thread pool. */
export function createExecutor(useThreadWorkers: boolean, options: ExecutorOptions): Executor {
  return useThreadWorkers ? new ThreadExecutor(options) : new ProcessExecutor(options);
}
