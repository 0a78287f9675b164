/** Lambda entry point of the circuit-breaker sweep (an EventBridge schedule, every minute). */
import { runSweep, type SweepResult } from '../circuit-breaker.js';
import { lambdaDeps } from './runtime.js';

export const handler = async (): Promise<SweepResult> => runSweep(lambdaDeps('circuit-breaker'));
