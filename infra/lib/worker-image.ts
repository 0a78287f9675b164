/**
 * The worker image, defined once for `npm run image` and for `cdk deploy`: the same Dockerfile,
 * the same build arguments and the same build context. The context is staged: the repository
 * files the Dockerfile needs (filtered by services/worker/.dockerignore) plus the workflows
 * folder at `workflows/` (its node_modules left out; the image installs them from its lock file).
 * Without a folder, the sample workflows go in.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FileSystem, IgnoreMode } from 'aws-cdk-lib';
import { REPO_ROOT, WORKER_DOCKERFILE, WORKER_DOCKERIGNORE } from './paths.js';

/** The repository part of the context: `services/worker/.dockerignore` keeps what the Dockerfile copies. */
export function workerImageExcludes(): string[] {
  return readFileSync(WORKER_DOCKERIGNORE, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
}

/** The built-in samples, baked in when no folder is given. */
export const SAMPLE_WORKFLOWS_DIR = join(REPO_ROOT, 'services/workflows/samples');
/** Where the workflows folder sits in the build context (the Dockerfile copies it from there). */
export const CONTEXT_WORKFLOWS = 'workflows';
/** Never sent to the builder from a workflows folder: installed inside the image instead. */
const WORKFLOWS_EXCLUDES = ['node_modules', '.git', '.DS_Store', 'npm-debug.log*'];

export interface WorkerImageOptions {
  /** The team's workflows folder (absolute, or relative to the repository root). */
  workflowsDir?: string;
  /** Base image for every stage (the Dockerfile's NODE_IMAGE); its default otherwise. */
  nodeImage?: string;
}

export interface WorkerImageDefinition {
  /** The staged build context. */
  directory: string;
  /** The Dockerfile, relative to the context. */
  file: string;
  buildArgs: Record<string, string>;
  /** The workflows folder that went in. */
  workflowsDir: string;
}

/** Resolves and checks the folder: a typo stops the build (or synth) naming the path. */
export function resolveWorkflowsDir(workflowsDir: string | undefined): string {
  if (workflowsDir === undefined) return SAMPLE_WORKFLOWS_DIR;
  const dir = resolve(REPO_ROOT, workflowsDir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new Error(
      `workflowsDir ${JSON.stringify(workflowsDir)} is not a directory (resolved to ${dir}): expected a folder of workflow modules`,
    );
  }
  return dir;
}

export function workerImageBuildArgs(options: WorkerImageOptions): Record<string, string> {
  return options.nodeImage ? { NODE_IMAGE: options.nodeImage } : {};
}

/** Stages the build context in `directory` (emptied first) and says how to build it. */
export function stageWorkerImage(
  directory: string,
  options: WorkerImageOptions,
): WorkerImageDefinition {
  const workflowsDir = resolveWorkflowsDir(options.workflowsDir);
  rmSync(directory, { recursive: true, force: true });
  mkdirSync(directory, { recursive: true });
  FileSystem.copyDirectory(REPO_ROOT, directory, {
    exclude: workerImageExcludes(),
    ignoreMode: IgnoreMode.DOCKER,
  });
  const target = join(directory, CONTEXT_WORKFLOWS);
  mkdirSync(target);
  FileSystem.copyDirectory(workflowsDir, target, {
    exclude: WORKFLOWS_EXCLUDES,
    ignoreMode: IgnoreMode.GLOB,
  });
  return {
    directory,
    file: WORKER_DOCKERFILE,
    buildArgs: workerImageBuildArgs(options),
    workflowsDir,
  };
}
