/**
 * V8 flags the worker's processes start with. Node cannot change heap sizing once a process runs,
 * so these go on the command line: the image's CMD, the local launcher and the tests all start
 * the orchestrator with WORKER_NODE_FLAGS (an infra test holds the Dockerfile to it).
 *
 * Why these (docs/benchmarks.md, "Fixed cost"):
 * - `--max-semi-space-size=1`: V8 lets a busy process's young generation grow to 32 MB and keeps
 *   it; the orchestrator allocates little that lives, so 2 MB serves it.
 * - `--single-threaded`: V8's background compile and GC threads each keep a malloc arena of
 *   freed parser memory (about 4 MB after the AWS SDK loads); the orchestrator's heap is small
 *   enough to collect on its own thread, and its CPU per execution did not change.
 */
export const WORKER_NODE_FLAGS: readonly string[] = [
  '--max-semi-space-size=1',
  '--single-threaded',
];

/**
 * Thread mode: V8 semi-space (MiB) of a pool process and of its threads, the young generation
 * every execution's short-lived objects go through. A smaller one costs allocation-heavy code CPU
 * (measured in docs/benchmarks.md); 16 is V8's own ceiling.
 */
export const DEFAULT_POOL_SEMI_SPACE_MB = 2;

/** The flags a pool process starts with (its threads inherit the young generation's size). */
export const poolNodeFlags = (semiSpaceMb: number): string[] => [
  `--max-semi-space-size=${semiSpaceMb}`,
];
