import type { Component, LocalContext } from './component.js';

/** Serves the built admin app with its runtime config.json. */
export async function startAdminUi(_context: LocalContext): Promise<Component | undefined> {
  return undefined;
}
