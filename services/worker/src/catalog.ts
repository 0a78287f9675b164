/**
 * The workflows a worker can run: every ES module in WORKFLOWS_DIR (default: the built-in samples),
 * loaded and checked once at start-up so a broken module stops the worker with a clear message
 * instead of failing executions later.
 */
import { basename } from 'node:path';
import type { RetryPolicy, WorkflowInfo } from '@warden/core';
import { loadWorkflowFolder } from '@warden/workflows/folder';

export interface CatalogEntry {
  id: string;
  name: string;
  /** The module's own default timeout, if it declares one. */
  timeoutSeconds?: number;
  /** `'thread'`: every execution runs alone on a thread (thread mode). */
  isolation?: 'thread';
  retry?: RetryPolicy;
  idempotent?: boolean;
  file: string;
  moduleUrl: string;
}

export class WorkflowLoadError extends Error {
  constructor(
    readonly directory: string,
    readonly problems: string[],
  ) {
    super(
      `Could not load the workflows in ${directory} (WORKFLOWS_DIR):\n  - ${problems.join('\n  - ')}`,
    );
    this.name = 'WorkflowLoadError';
  }
}

export class WorkflowCatalog {
  private readonly entries: Map<string, CatalogEntry>;

  constructor(
    readonly directory: string,
    entries: CatalogEntry[],
  ) {
    this.entries = new Map(entries.map((entry) => [entry.id, entry]));
  }

  get(workflowId: string): CatalogEntry | undefined {
    return this.entries.get(workflowId);
  }

  ids(): string[] {
    return [...this.entries.keys()].sort();
  }

  /** What the worker registers: each workflow with the timeout its executions get by default. */
  info(defaultTimeoutSeconds: number): WorkflowInfo[] {
    return this.ids().map((id) => {
      const entry = this.entries.get(id)!;
      return {
        id,
        name: entry.name,
        timeoutSeconds: entry.timeoutSeconds ?? defaultTimeoutSeconds,
        ...(entry.retry ? { retry: entry.retry } : {}),
        ...(entry.idempotent ? { idempotent: true } : {}),
      };
    });
  }
}

export async function loadWorkflowCatalog(directory: string): Promise<WorkflowCatalog> {
  const folder = await loadWorkflowFolder(directory);
  if (folder.problems.length) throw new WorkflowLoadError(folder.directory, folder.problems);
  return new WorkflowCatalog(folder.directory, folder.workflows);
}

export const describeCatalog = (catalog: WorkflowCatalog): string =>
  `${catalog.ids().length} workflows from ${basename(catalog.directory)}: ${catalog.ids().join(', ')}`;
