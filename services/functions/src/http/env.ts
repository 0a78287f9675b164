import type { Principal } from '../auth.js';

/** Per-request values the middleware sets for the routes. */
export interface AppEnv {
  Variables: { principal: Principal };
}
