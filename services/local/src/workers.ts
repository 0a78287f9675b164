import type { Component, LocalContext } from './component.js';

/** Runs WARDEN_WORKERS real worker processes (the same entrypoint ECS runs). */
export async function startWorkers(_context: LocalContext): Promise<Component | undefined> {
  return undefined;
}
