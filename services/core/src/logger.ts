/** Structured JSON logging (pino) with the component named on every line. */
import { pino, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger } from 'pino';

export function createLogger(
  component: string,
  level: LogLevel = 'info',
  bindings: Record<string, unknown> = {},
): Logger {
  return pino({
    level,
    base: { component, ...bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
