import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SYSTEM_CONFIG_DEFAULTS, checkSystemConfig, type SystemConfig } from '../domain.js';
import { iso, systemClock, type Clock } from '../time.js';

const KEY = 'circuit_breaker';

export interface StoredSystemConfig extends SystemConfig {
  updatedAt?: string;
  updatedBy?: string;
}

/** Circuit-breaker settings, editable at run time; defaults apply until someone saves. */
export class SystemConfigRepository {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock = systemClock,
  ) {}

  async get(): Promise<StoredSystemConfig> {
    const result = await this.dynamo.send(
      new GetCommand({ TableName: this.tableName, Key: { key: KEY }, ConsistentRead: true }),
    );
    const item = (result.Item ?? {}) as Partial<StoredSystemConfig>;
    const parsed = checkSystemConfig({
      stuck_circuit_breaker_threshold:
        item.stuck_circuit_breaker_threshold ??
        SYSTEM_CONFIG_DEFAULTS.stuck_circuit_breaker_threshold,
      stuck_circuit_breaker_window_minutes:
        item.stuck_circuit_breaker_window_minutes ??
        SYSTEM_CONFIG_DEFAULTS.stuck_circuit_breaker_window_minutes,
    });
    // A hand-edited invalid row must not disable the breaker: fall back to the defaults.
    const values = parsed ?? { ...SYSTEM_CONFIG_DEFAULTS };
    return { ...values, updatedAt: item.updatedAt, updatedBy: item.updatedBy };
  }

  async put(values: SystemConfig, updatedBy: string): Promise<StoredSystemConfig> {
    const valid = checkSystemConfig(values);
    if (!valid) {
      throw new RangeError(
        `invalid circuit-breaker settings ${JSON.stringify(values)}: the threshold must be an integer from 1 to 1000 and the window an integer number of minutes from 1 to 10080`,
      );
    }
    const stored: StoredSystemConfig = { ...valid, updatedAt: iso(this.clock()), updatedBy };
    await this.dynamo.send(
      new PutCommand({ TableName: this.tableName, Item: { key: KEY, ...stored } }),
    );
    return stored;
  }
}
