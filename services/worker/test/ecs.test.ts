/**
 * ECS cannot run here, so the ECS API is a fake client below (it records the UpdateTaskProtection
 * calls it would have made) and the metadata endpoint is a fake fetch.
 */
import { describe, expect, it } from 'vitest';
import { UpdateTaskProtectionCommand } from '@aws-sdk/client-ecs';
import { createLogger } from '@warden/core';
import { TaskProtection, readEcsTask, type EcsTask } from '../src/ecs.js';

const task: EcsTask = {
  taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/warden/0123456789abcdef0123456789abcdef',
  cluster: 'arn:aws:ecs:us-east-1:123456789012:cluster/warden',
  taskId: '0123456789abcdef0123456789abcdef',
};
const logger = createLogger('test', 'silent');

class FakeEcs {
  calls: { protectionEnabled?: boolean; expiresInMinutes?: number; tasks?: string[] }[] = [];
  failNext = false;
  async send(command: unknown) {
    expect(command).toBeInstanceOf(UpdateTaskProtectionCommand);
    const input = (command as UpdateTaskProtectionCommand).input;
    if (this.failNext) {
      this.failNext = false;
      throw new Error('ThrottlingException');
    }
    this.calls.push(input);
    return {};
  }
}

describe('ECS task scale-in protection', () => {
  it('protects the task while executions are in flight and releases it when idle', async () => {
    const ecs = new FakeEcs();
    let now = 0;
    const protection = new TaskProtection(ecs as never, task, logger, 60, () => now);
    await protection.update(1);
    expect(ecs.calls).toEqual([
      {
        cluster: task.cluster,
        tasks: [task.taskArn],
        protectionEnabled: true,
        expiresInMinutes: 60,
      },
    ]);
    expect(protection.isProtected).toBe(true);
    // More executions, and heartbeats, do not call ECS again while the protection is fresh.
    await protection.update(3);
    now += 10 * 60_000;
    await protection.update(2);
    expect(ecs.calls).toHaveLength(1);
    await protection.update(0);
    expect(ecs.calls[1]).toMatchObject({ protectionEnabled: false });
    expect(protection.isProtected).toBe(false);
    await protection.update(0);
    expect(ecs.calls).toHaveLength(2);
  });

  it('renews the protection at half its lifetime while still busy', async () => {
    const ecs = new FakeEcs();
    let now = 0;
    const protection = new TaskProtection(ecs as never, task, logger, 60, () => now);
    await protection.update(1);
    now += 31 * 60_000;
    await protection.update(1);
    expect(ecs.calls.map((c) => c.protectionEnabled)).toEqual([true, true]);
  });

  it('keeps running when ECS refuses, and tries again on the next update', async () => {
    const ecs = new FakeEcs();
    ecs.failNext = true;
    const protection = new TaskProtection(ecs as never, task, logger, 60, () => 0);
    await protection.update(1);
    expect(protection.isProtected).toBe(false);
    await protection.update(1);
    expect(ecs.calls).toHaveLength(1);
    expect(protection.isProtected).toBe(true);
  });
});

describe('ECS task metadata', () => {
  it('is skipped outside ECS', async () => {
    expect(await readEcsTask({})).toBeUndefined();
  });

  it('reads the task ARN and cluster, and takes the worker id from the ARN', async () => {
    const fetchImpl = (async (url: string) => {
      expect(url).toBe('http://169.254.170.2/v4/abc/task');
      return new Response(JSON.stringify({ TaskARN: task.taskArn, Cluster: task.cluster }));
    }) as typeof fetch;
    expect(
      await readEcsTask(
        { ECS_CONTAINER_METADATA_URI_V4: 'http://169.254.170.2/v4/abc' },
        fetchImpl,
      ),
    ).toEqual(task);
  });

  it('fails clearly when the endpoint does not answer as ECS does', async () => {
    const fetchImpl = (async () =>
      new Response('nope', { status: 500 })) as unknown as typeof fetch;
    await expect(
      readEcsTask({ ECS_CONTAINER_METADATA_URI_V4: 'http://169.254.170.2/v4/abc' }, fetchImpl),
    ).rejects.toThrow('ECS task metadata answered 500');
  });
});
