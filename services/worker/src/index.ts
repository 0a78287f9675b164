/**
 * @warden/worker: the ECS worker. `main.ts` is the entrypoint; these exports let the benchmarks
 * and tests drive the executors directly.
 */
export * from './catalog.js';
export * from './executors/index.js';
export * from './memory.js';
export * from './protocol.js';
export { TaskProtection, readEcsTask, type EcsTask } from './ecs.js';
export { WorkerMetrics } from './metrics.js';
export { BlacklistCache } from './blacklist-cache.js';
export { withRetry, isPermanent } from './retry.js';
export {
  WorkerRuntime,
  type WorkerDeps,
  type WorkerLifecycleState,
  type WorkerRuntimeStatus,
} from './worker.js';
export { Consumer, type ConsumerDeps } from './consumer.js';
export { SqsWorkQueue, type WorkQueue } from './work-queue.js';
export { OutcomeRecorder, type Flight } from './outcome-recorder.js';
export { parseMessage, type ParsedWork, type Rejection } from './message-parser.js';
