import {
  PutCommand,
  QueryCommand,
  UpdateCommand,
  GetCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { CommandStatus, WorkerCommand } from '../domain.js';
import { DAY_MS, epochSeconds, iso, systemClock, type Clock } from '../time.js';
import { conditionHeld, isConditionFailure } from './dynamo-helpers.js';

const RETENTION_MS = 7 * DAY_MS;
/** A command not picked up within this window is stale (its worker is gone) and ignored. */
export const COMMAND_STALE_MS = 10 * 60 * 1000;

export interface CreateCommandResult {
  /** False when an identical command already existed; `command` is then that one. */
  created: boolean;
  command: WorkerCommand;
}

/**
 * Commands addressed to one worker. A recycle command's id is derived from pid and generation,
 * so asking twice for the same process yields the same command (idempotent by construction).
 */
export class WorkerCommandsRepository {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock = systemClock,
  ) {}

  static recycleCommandId(pid: number, generation: number): string {
    return `recycle-${pid}-g${generation}`;
  }

  async createRecycle(input: {
    workerId: string;
    pid: number;
    generation: number;
    requestedBy: string;
  }): Promise<CreateCommandResult> {
    const now = this.clock();
    const command: WorkerCommand = {
      workerId: input.workerId,
      commandId: WorkerCommandsRepository.recycleCommandId(input.pid, input.generation),
      type: 'recycle',
      pid: input.pid,
      generation: input.generation,
      requestedBy: input.requestedBy,
      requestedAt: iso(now),
      status: 'PENDING',
      expiresAt: epochSeconds(now + RETENTION_MS),
    };
    try {
      await this.dynamo.send(
        new PutCommand({
          TableName: this.tableName,
          Item: command,
          ConditionExpression: 'attribute_not_exists(commandId)',
        }),
      );
      return { created: true, command };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const existing = await this.get(input.workerId, command.commandId);
      return { created: false, command: existing ?? command };
    }
  }

  /**
   * Asks the worker running an execution to fire its AbortSignal. One command per execution
   * (asking twice is the same command).
   */
  async createCancel(input: {
    workerId: string;
    executionId: string;
    requestedBy: string;
  }): Promise<CreateCommandResult> {
    const now = this.clock();
    const command: WorkerCommand = {
      workerId: input.workerId,
      commandId: `cancel-${input.executionId}`,
      type: 'cancel',
      pid: 0,
      generation: 0,
      executionId: input.executionId,
      requestedBy: input.requestedBy,
      requestedAt: iso(now),
      status: 'PENDING',
      expiresAt: epochSeconds(now + RETENTION_MS),
    };
    try {
      await this.dynamo.send(
        new PutCommand({
          TableName: this.tableName,
          Item: command,
          ConditionExpression: 'attribute_not_exists(commandId)',
        }),
      );
      return { created: true, command };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return {
        created: false,
        command: (await this.get(input.workerId, command.commandId)) ?? command,
      };
    }
  }

  async get(workerId: string, commandId: string): Promise<WorkerCommand | undefined> {
    const result = await this.dynamo.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { workerId, commandId },
        ConsistentRead: true,
      }),
    );
    return result.Item as WorkerCommand | undefined;
  }

  /** Pending commands for a worker that are not stale. */
  async listPending(workerId: string): Promise<WorkerCommand[]> {
    const since = iso(this.clock() - COMMAND_STALE_MS);
    const result = await this.dynamo.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'workerId = :w',
        FilterExpression: '#status = :pending AND requestedAt >= :since',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':w': workerId, ':pending': 'PENDING', ':since': since },
        ConsistentRead: true,
      }),
    );
    return (result.Items ?? []) as WorkerCommand[];
  }

  /** Records a command's outcome once; false if it was already completed. */
  async complete(
    workerId: string,
    commandId: string,
    status: Exclude<CommandStatus, 'PENDING'>,
    outcome: string,
  ): Promise<boolean> {
    return conditionHeld(() =>
      this.dynamo.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { workerId, commandId },
          ConditionExpression: '#status = :pending',
          UpdateExpression: 'SET #status = :s, outcome = :o, completedAt = :at',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':pending': 'PENDING',
            ':s': status,
            ':o': outcome,
            ':at': iso(this.clock()),
          },
        }),
      ),
    );
  }
}
