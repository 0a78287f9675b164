/**
 * The workflows a worker can run: every ES module in WORKFLOWS_DIR (default: the built-in samples),
 * loaded and checked once at start-up so a broken module stops the worker with a clear message
 * instead of failing executions later.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RetryPolicy, WorkflowInfo } from '@warden/core';
import { checkWorkflowDefinition } from '@warden/workflows';

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

const MODULE_EXTENSIONS = new Set(['.mjs', '.js', '.cjs']);

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
  const dir = resolve(directory);
  let names: string[];
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error('not a directory');
    names = await readdir(dir);
  } catch (error) {
    throw new WorkflowLoadError(dir, [
      `the directory cannot be read: ${error instanceof Error ? error.message : String(error)}`,
    ]);
  }
  const files = names
    .filter((name) => MODULE_EXTENSIONS.has(extname(name)) && !name.startsWith('.'))
    .sort();
  const problems: string[] = [];
  const entries: CatalogEntry[] = [];
  const byId = new Map<string, string>();
  for (const name of files) {
    const file = join(dir, name);
    const moduleUrl = pathToFileURL(file).href;
    let exported: unknown;
    try {
      exported = ((await import(moduleUrl)) as { default?: unknown }).default;
    } catch (error) {
      problems.push(
        `${name}: failed to load: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
      );
      continue;
    }
    const definitionProblems = checkWorkflowDefinition(exported);
    if (definitionProblems.length) {
      problems.push(`${name}: ${definitionProblems.join('; ')}`);
      continue;
    }
    const definition = exported as {
      id: string;
      name?: string;
      timeoutSeconds?: number;
      isolation?: 'thread';
      retry?: RetryPolicy;
      idempotent?: boolean;
    };
    const earlier = byId.get(definition.id);
    if (earlier) {
      problems.push(`${name}: workflow id "${definition.id}" is already defined by ${earlier}`);
      continue;
    }
    byId.set(definition.id, name);
    entries.push({
      id: definition.id,
      name: definition.name ?? definition.id,
      timeoutSeconds: definition.timeoutSeconds,
      ...(definition.isolation ? { isolation: definition.isolation } : {}),
      ...(definition.retry
        ? {
            retry: {
              attempts: definition.retry.attempts,
              backoffSeconds: definition.retry.backoffSeconds,
              ...(definition.retry.backoffRate !== undefined
                ? { backoffRate: definition.retry.backoffRate }
                : {}),
            },
          }
        : {}),
      ...(definition.idempotent ? { idempotent: true } : {}),
      file,
      moduleUrl,
    });
  }
  if (!files.length) problems.push('no workflow modules (.mjs, .js or .cjs files) found');
  if (problems.length) throw new WorkflowLoadError(dir, problems);
  return new WorkflowCatalog(dir, entries);
}

export const describeCatalog = (catalog: WorkflowCatalog): string =>
  `${catalog.ids().length} workflows from ${basename(catalog.directory)}: ${catalog.ids().join(', ')}`;
