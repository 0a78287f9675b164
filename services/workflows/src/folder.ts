/**
 * A folder of workflows, loaded as a worker loads it: every ES module at its top level imported and
 * its default export checked, ids unique, and the folder's own dependencies (its package.json)
 * resolvable from where the modules sit. The worker's catalog, `warden workflows check` and the
 * image build all use this one function, so a folder that passes the check is one a worker starts
 * with.
 */
import { existsSync } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkWorkflowDefinition, type RetryPolicy } from './index.js';

export interface WorkflowModule {
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

export interface WorkflowFolder {
  /** Absolute path of the folder. */
  directory: string;
  /** The workflows that loaded, in file-name order. */
  workflows: WorkflowModule[];
  /** Everything wrong, one line each, naming the file or dependency; empty when usable. */
  problems: string[];
}

const MODULE_EXTENSIONS = new Set(['.mjs', '.js', '.cjs']);

/** Where Node would find `name` when a module in `dir` imports it (node_modules up the tree). */
function packageResolves(dir: string, name: string): boolean {
  for (let current = dir; ; current = dirname(current)) {
    if (existsSync(join(current, 'node_modules', name, 'package.json'))) return true;
    if (dirname(current) === current) return false;
  }
}

async function dependencyProblems(dir: string): Promise<string[]> {
  const manifestFile = join(dir, 'package.json');
  if (!existsSync(manifestFile)) return [];
  let manifest: { dependencies?: Record<string, string> };
  try {
    manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as typeof manifest;
  } catch (error) {
    return [`package.json: cannot be read as JSON: ${(error as Error).message}`];
  }
  const names = Object.keys(manifest.dependencies ?? {});
  const problems: string[] = [];
  if (names.length && !existsSync(join(dir, 'package-lock.json'))) {
    problems.push(
      'package.json: declares dependencies but there is no package-lock.json beside it (the image installs them with npm ci, from the lock file; run npm install there and commit the lock file)',
    );
  }
  for (const name of names) {
    if (!packageResolves(dir, name)) {
      problems.push(
        `package.json: dependency "${name}" does not resolve from ${dir} (run npm ci there)`,
      );
    }
  }
  return problems;
}

/** Turns an import failure into one line; a missing package names the fix. */
function importProblem(name: string, error: unknown): string {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'ERR_MODULE_NOT_FOUND') {
    const missing = /Cannot find (?:package|module) '([^']+)'/.exec(message)?.[1];
    return `${name}: a dependency does not resolve: ${missing ?? message} (declare it in the folder's package.json and run npm ci there)`;
  }
  return `${name}: failed to load: ${error instanceof Error ? `${error.name}: ${message}` : message}`;
}

export async function loadWorkflowFolder(directory: string): Promise<WorkflowFolder> {
  const dir = resolve(directory);
  let names: string[];
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error('not a directory');
    names = await readdir(dir);
  } catch (error) {
    return {
      directory: dir,
      workflows: [],
      problems: [
        `the directory cannot be read: ${error instanceof Error ? error.message : String(error)}`,
      ],
    };
  }
  const files = names
    .filter((name) => MODULE_EXTENSIONS.has(extname(name)) && !name.startsWith('.'))
    .sort();
  const problems: string[] = [];
  const workflows: WorkflowModule[] = [];
  const byId = new Map<string, string>();
  for (const name of files) {
    const file = join(dir, name);
    const moduleUrl = pathToFileURL(file).href;
    let exported: unknown;
    try {
      exported = ((await import(moduleUrl)) as { default?: unknown }).default;
    } catch (error) {
      problems.push(importProblem(name, error));
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
    workflows.push({
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
  problems.push(...(await dependencyProblems(dir)));
  return { directory: dir, workflows, problems };
}

/** What `warden workflows check` and the image build print, and whether the folder is usable. */
export function describeFolder(folder: WorkflowFolder): { ok: boolean; text: string } {
  if (folder.problems.length) {
    return {
      ok: false,
      text: `${folder.directory} cannot be used as WORKFLOWS_DIR:\n  - ${folder.problems.join('\n  - ')}`,
    };
  }
  const list = folder.workflows
    .map((w) => `${w.id}${w.timeoutSeconds ? ` (${w.timeoutSeconds} s)` : ''}`)
    .join(', ');
  return {
    ok: true,
    text: `${folder.directory}: ${folder.workflows.length} workflows load: ${list}`,
  };
}
