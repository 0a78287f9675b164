import { describe, expect, it } from 'vitest';
import type { WorkerRecord } from '@warden/core';
import { longDrainingProcesses, workerHealth, workflowCatalog } from '../src/fleet.js';
import { clusterFromTaskArn } from '../src/worker-stopper.js';
import { emfRecord } from '../src/metrics.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const at = (msAgo: number) => new Date(NOW - msAgo).toISOString();

const worker = (overrides: Partial<WorkerRecord>): WorkerRecord => ({
  workerId: 'w',
  mode: 'thread',
  version: '1',
  hostname: 'h',
  mainPid: 10,
  startedAt: at(60_000),
  lastHeartbeatAt: at(1000),
  status: 'ONLINE',
  capacity: 4,
  processes: [],
  workflows: [],
  ...overrides,
});

describe('worker health', () => {
  it('is online while heartbeating, silent past the threshold, offline once deregistered', () => {
    expect(workerHealth(worker({}), NOW, 5000)).toBe('online');
    expect(workerHealth(worker({ lastHeartbeatAt: at(5001) }), NOW, 5000)).toBe('silent');
    expect(workerHealth(worker({ status: 'OFFLINE', lastHeartbeatAt: at(9e6) }), NOW, 5000)).toBe(
      'offline',
    );
  });
});

describe('workflow catalog', () => {
  it('unions the catalogs of workers not offline; the newest worker defines a workflow', () => {
    const catalog = workflowCatalog(
      [
        worker({
          workerId: 'old',
          startedAt: at(10_000),
          workflows: [{ id: 'a', name: 'A v1', timeoutSeconds: 5 }],
        }),
        worker({
          workerId: 'new',
          startedAt: at(1000),
          workflows: [
            { id: 'a', name: 'A v2', timeoutSeconds: 9 },
            { id: 'b', name: 'B', timeoutSeconds: 1 },
          ],
        }),
        worker({
          workerId: 'gone',
          status: 'OFFLINE',
          workflows: [{ id: 'c', name: 'C', timeoutSeconds: 1 }],
        }),
      ],
      new Set(['b']),
    );
    expect(catalog).toEqual([
      { id: 'a', name: 'A v2', timeoutSeconds: 9, workers: 2, blacklisted: false },
      { id: 'b', name: 'B', timeoutSeconds: 1, workers: 1, blacklisted: true },
    ]);
  });
});

describe('long-draining processes', () => {
  it('reports DRAINING and PENDING_KILL processes past the threshold only', () => {
    const process = (
      pid: number,
      state: 'ACTIVE' | 'DRAINING' | 'PENDING_KILL',
      msAgo: number,
    ) => ({
      pid,
      generation: pid,
      state,
      stateSince: at(msAgo),
      startedAt: at(msAgo),
      memoryMb: 1,
      memoryKind: 'rss' as const,
      jobsProcessed: 0,
      executions: [],
    });
    const found = longDrainingProcesses(
      [
        worker({
          processes: [
            process(1, 'DRAINING', 7200_000),
            process(2, 'DRAINING', 60_000),
            process(3, 'ACTIVE', 7200_000),
            process(4, 'PENDING_KILL', 3601_000),
          ],
        }),
        worker({ workerId: 'off', status: 'OFFLINE', processes: [process(5, 'DRAINING', 9e6)] }),
      ],
      NOW,
      3600_000,
    );
    expect(found.map((p) => [p.pid, p.state])).toEqual([
      [1, 'DRAINING'],
      [4, 'PENDING_KILL'],
    ]);
    expect(found[0]?.drainingForMs).toBe(7200_000);
  });
});

describe('ECS task ARNs', () => {
  it('name their cluster in the long format only', () => {
    expect(clusterFromTaskArn('arn:aws:ecs:eu-west-1:123456789012:task/prod/abc123')).toBe('prod');
    expect(clusterFromTaskArn('arn:aws:ecs:eu-west-1:123456789012:task/abc123')).toBeUndefined();
  });
});

describe('EMF records', () => {
  it('declare each metric with its unit and carry its value', () => {
    const record = emfRecord({ Trips: { value: 2, unit: 'Count' } }, NOW, { note: 'x' });
    expect(record).toEqual({
      _aws: {
        Timestamp: NOW,
        CloudWatchMetrics: [
          { Namespace: 'Warden', Dimensions: [[]], Metrics: [{ Name: 'Trips', Unit: 'Count' }] },
        ],
      },
      note: 'x',
      Trips: 2,
    });
  });
});
