/**
 * Lambda containers are reused between invocations: build the clients and repositories once per
 * container, from the environment CDK sets, on first use.
 */
import { loadControlPlaneConfig } from '@warden/core';
import { createControlPlaneDeps, type ControlPlaneDeps } from '../deps.js';

let cached: ControlPlaneDeps | undefined;

export function lambdaDeps(component: string): ControlPlaneDeps {
  cached ??= createControlPlaneDeps(loadControlPlaneConfig(), component);
  return cached;
}
