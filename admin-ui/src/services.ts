/**
 * The app's two long-lived services — the runtime config and the API client — set once at
 * start-up (or by a test) and read by stores and views.
 */
import type { ApiClient } from './api/client';
import type { RuntimeConfig } from './config/runtime-config';

export interface AppServices {
  config: RuntimeConfig;
  api: ApiClient;
}

let current: AppServices | undefined;

export function setServices(services: AppServices): void {
  current = services;
}

export function services(): AppServices {
  if (!current) throw new Error('The app services are not set up yet');
  return current;
}

export const api = (): ApiClient => services().api;
