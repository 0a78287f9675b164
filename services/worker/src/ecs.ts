/**
 * ECS integration: the task's identity from the container metadata endpoint, and scale-in
 * protection while executions are in flight (so a scale-in never picks a busy task). Outside ECS
 * (no ECS_CONTAINER_METADATA_URI_V4) both are skipped.
 */
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { Logger } from '@warden/core';

export interface EcsTask {
  taskArn: string;
  cluster: string;
  /** The last segment of the task ARN: a valid worker id. */
  taskId: string;
}

export async function readEcsTask(
  env: NodeJS.ProcessEnv,
  fetchImpl: typeof fetch = fetch,
): Promise<EcsTask | undefined> {
  const base = env.ECS_CONTAINER_METADATA_URI_V4;
  if (!base) return undefined;
  const response = await fetchImpl(`${base}/task`, { signal: AbortSignal.timeout(5000) });
  if (!response.ok) {
    throw new Error(`ECS task metadata answered ${response.status} at ${base}/task`);
  }
  const body = (await response.json()) as { TaskARN?: string; Cluster?: string };
  if (!body.TaskARN || !body.Cluster) {
    throw new Error('ECS task metadata has no TaskARN or Cluster');
  }
  return { taskArn: body.TaskARN, cluster: body.Cluster, taskId: body.TaskARN.split('/').pop()! };
}

type EcsSender = Pick<ECSClient, 'send'>;

/**
 * Holds task scale-in protection while executions run and drops it when the task is idle. The
 * protection expires on its own after `expiresInMinutes`, so it is renewed at half that while busy;
 * a worker that dies cannot leave a task protected for long.
 */
export class TaskProtection {
  private protectedUntil = 0;
  private desired = false;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly ecs: EcsSender,
    private readonly task: EcsTask,
    private readonly logger: Logger,
    private readonly expiresInMinutes = 60,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Called whenever the number of executions in flight changes, and on every heartbeat. */
  update(inFlight: number): Promise<void> {
    this.desired = inFlight > 0;
    this.chain = this.chain.then(() => this.apply());
    return this.chain;
  }

  get isProtected(): boolean {
    return this.protectedUntil > this.clock();
  }

  private async apply(): Promise<void> {
    const now = this.clock();
    const renewAt = this.protectedUntil - (this.expiresInMinutes * 60_000) / 2;
    if (this.desired && (this.protectedUntil <= now || now >= renewAt)) {
      await this.send(true);
    } else if (!this.desired && this.protectedUntil > now) {
      await this.send(false);
    }
  }

  private async send(enabled: boolean): Promise<void> {
    try {
      // Loaded on first use: a worker off ECS never pays for the ECS client's code.
      const { UpdateTaskProtectionCommand } = await import('@aws-sdk/client-ecs');
      await this.ecs.send(
        new UpdateTaskProtectionCommand({
          cluster: this.task.cluster,
          tasks: [this.task.taskArn],
          protectionEnabled: enabled,
          ...(enabled ? { expiresInMinutes: this.expiresInMinutes } : {}),
        }),
      );
      this.protectedUntil = enabled ? this.clock() + this.expiresInMinutes * 60_000 : 0;
      this.logger.info({ enabled }, 'ECS task scale-in protection updated');
    } catch (error) {
      // Retried on the next update (every heartbeat); running executions are not affected.
      this.logger.warn({ err: error, enabled }, 'could not update ECS task scale-in protection');
    }
  }
}
