/**
 * How much of an execution's log is kept: the last MAX_LOG_LINES lines, each cut at
 * MAX_LOG_LINE_CHARS. The one owner of these bounds, for the runner that sends lines, the
 * orchestrator that keeps them and the record that stores them. No imports, so a runner can load
 * it (`@warden/core/log-bounds`) without the rest of core.
 */
export const MAX_LOG_LINES = 50;
export const MAX_LOG_LINE_CHARS = 500;

export const boundLogLine = (line: string): string =>
  line.length > MAX_LOG_LINE_CHARS ? `${line.slice(0, MAX_LOG_LINE_CHARS)}…` : line;

export const boundLogs = (logs: string[] | undefined): string[] | undefined =>
  logs?.slice(-MAX_LOG_LINES).map(boundLogLine);
