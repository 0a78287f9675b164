/**
 * Runs workflow executions inside a runner (a process-mode child or a pool thread): loads the
 * module once per runner, gives each run its context and AbortSignal, and reports what happened
 * as RunnerEvents. Imports only Node built-ins and core's import-free log bounds, so a runner
 * starts small.
 */
import { format } from 'node:util';
import { boundLogLine as boundLine } from '@warden/core/log-bounds';
import {
  MAX_OUTPUT_JSON_BYTES,
  type RunError,
  type RunErrorKind,
  type RunRequest,
  type RunResult,
  type RunnerEvent,
} from '../protocol.js';

interface RunnableWorkflow {
  run(input: unknown, context: unknown): unknown;
}

const modules = new Map<string, Promise<RunnableWorkflow>>();

function load(moduleUrl: string): Promise<RunnableWorkflow> {
  let loaded = modules.get(moduleUrl);
  if (!loaded) {
    loaded = import(moduleUrl).then((module: { default?: RunnableWorkflow }) => {
      if (typeof module.default?.run !== 'function') {
        throw new TypeError(`${moduleUrl} no longer default-exports a workflow with run()`);
      }
      return module.default;
    });
    // A failed import is not cached: the next run tries again.
    loaded.catch(() => modules.delete(moduleUrl));
    modules.set(moduleUrl, loaded);
  }
  return loaded;
}

export function describeError(error: unknown, kind: RunErrorKind): RunError {
  if (error instanceof Error) return { kind, name: error.name, message: error.message };
  return { kind, name: 'Error', message: format('%o', error) };
}

function serializeOutput(output: unknown): string | undefined {
  let json: string | undefined;
  try {
    json = JSON.stringify(output);
  } catch (error) {
    return JSON.stringify({
      truncated: true,
      note: `output is not JSON-serialisable: ${describeError(error, 'workflow').message}`,
    });
  }
  if (json !== undefined && Buffer.byteLength(json) > MAX_OUTPUT_JSON_BYTES) {
    return JSON.stringify({
      truncated: true,
      note: `output was ${Buffer.byteLength(json)} bytes; the runner passes at most ${MAX_OUTPUT_JSON_BYTES}`,
      preview: json.slice(0, 1024),
    });
  }
  return json;
}

/** The executions one runner holds, with their abort controllers. */
export class RunnerExecutions {
  private readonly controllers = new Map<string, AbortController>();

  constructor(private readonly emit: (event: RunnerEvent) => void) {}

  get size(): number {
    return this.controllers.size;
  }

  async run(request: RunRequest): Promise<RunResult> {
    const { executionId } = request;
    const controller = new AbortController();
    this.controllers.set(executionId, controller);
    this.emit({ type: 'started', executionId });
    let result: RunResult;
    try {
      let workflow: RunnableWorkflow;
      try {
        workflow = await load(request.moduleUrl);
      } catch (error) {
        result = { ok: false, error: describeError(error, 'load') };
        return result;
      }
      const context = {
        signal: controller.signal,
        executionId,
        workflowId: request.workflowId,
        attempt: request.attempt,
        log: (...args: unknown[]) =>
          this.emit({ type: 'log', executionId, line: boundLine(format(...args)) }),
      };
      try {
        const output = await workflow.run(request.input, context);
        result = { ok: true, outputJson: serializeOutput(output) };
      } catch (error) {
        result = {
          ok: false,
          error: describeError(error, controller.signal.aborted ? 'aborted' : 'workflow'),
        };
      }
      return result;
    } finally {
      this.controllers.delete(executionId);
      this.emit({ type: 'result', executionId, result: result! });
    }
  }

  /** Fires the execution's AbortSignal; a workflow that honours it stops promptly. */
  cancel(executionId: string, reason: string): void {
    this.controllers.get(executionId)?.abort(new CancellationError(reason));
  }

  cancelAll(reason: string): void {
    for (const id of this.controllers.keys()) this.cancel(id, reason);
  }
}

/** The abort reason a workflow sees (`ctx.signal.reason`). */
export class CancellationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CancellationError';
  }
}
