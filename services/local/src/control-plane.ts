import type { Component, LocalContext } from './component.js';

/** The admin API, WebSocket gateway and circuit-breaker scheduler (services/functions). */
export async function startControlPlane(_context: LocalContext): Promise<Component | undefined> {
  return undefined;
}
