/**
 * Stopping a worker that no longer answers. In AWS the worker is an ECS task, stopped with
 * StopTask (ECS sends SIGTERM, then SIGKILL after the stop timeout). The local stack provides
 * its own implementation that signals the worker's main process.
 */
import { StopTaskCommand, type ECSClient } from '@aws-sdk/client-ecs';
import type { WorkerRecord } from '@warden/core';

/** The stop cannot be done (no task ARN, process already gone); the message says why. */
export class StopRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StopRefusedError';
  }
}

export interface WorkerStopper {
  /** Asks the worker's task or process to stop; resolves with a description of the target. */
  stop(worker: WorkerRecord, reason: string): Promise<string>;
}

/** `arn:aws:ecs:<region>:<account>:task/<cluster>/<id>` names its cluster; older ARNs do not. */
export function clusterFromTaskArn(taskArn: string): string | undefined {
  const match = /^arn:aws[a-z-]*:ecs:[^:]+:\d+:task\/([^/]+)\/[^/]+$/.exec(taskArn);
  return match?.[1];
}

export class EcsWorkerStopper implements WorkerStopper {
  constructor(
    private readonly ecs: ECSClient,
    private readonly cluster?: string,
  ) {}

  async stop(worker: WorkerRecord, reason: string): Promise<string> {
    if (!worker.taskArn) {
      throw new StopRefusedError(
        `Worker ${worker.workerId} registered no ECS task ARN, so there is no task to stop`,
      );
    }
    const cluster = this.cluster ?? clusterFromTaskArn(worker.taskArn);
    await this.ecs.send(
      new StopTaskCommand({ cluster, task: worker.taskArn, reason: reason.slice(0, 255) }),
    );
    return worker.taskArn;
  }
}
