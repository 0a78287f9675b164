import type { Logger, SharedConfig } from '@warden/core';
import type { LocalOutputs } from './outputs.js';

/** What every part of the local stack receives when it starts. */
export interface LocalContext {
  config: SharedConfig;
  /** Environment for child processes: AWS endpoints, credentials, table names, queue URLs. */
  env: Record<string, string>;
  outputs: LocalOutputs;
  /** `$WARDEN_HOME`: outputs file, DynamoDB data, logs. */
  home: string;
  logger: Logger;
}

/** A running part of the local stack. `stop` must leave no process or socket behind. */
export interface Component {
  name: string;
  /** Lines printed in the start-up banner. */
  banner: string[];
  /** Outputs this component adds (ApiUrl, WebSocketUrl, ...). */
  outputs?: Partial<LocalOutputs>;
  stop(): Promise<void>;
}
