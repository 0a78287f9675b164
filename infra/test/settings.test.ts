/**
 * Deployment settings from CDK context: defaults, values from `-c key=value` (strings) and from
 * cdk.json (JSON), and clear errors naming the key, the value and what is accepted.
 */
import { describe, expect, it } from 'vitest';
import { SettingsError, readSettings } from '../lib/settings.js';
import { cdkJsonContext } from './support/synth.js';

const fromContext = (context: Record<string, unknown>) => readSettings((key) => context[key]);

describe('deployment settings', () => {
  it('defaults to the baseline: flag off, no canary', () => {
    const settings = fromContext({});
    expect(settings).toMatchObject({
      prefix: 'warden',
      useThreadWorkers: false,
      canary: false,
      threadPoolSize: 4,
      cancelGraceSeconds: 10,
      heartbeatIntervalSeconds: 10,
      desiredCount: 2,
      maxCount: 10,
    });
    expect(settings.alarmEmail).toBeUndefined();
    expect(settings.maxConcurrency).toBeUndefined();
  });

  it('reads cdk.json as shipped without complaint, with the flag off', () => {
    expect(fromContext(cdkJsonContext())).toMatchObject({ useThreadWorkers: false, canary: false });
  });

  it('accepts command-line strings as well as JSON values', () => {
    const settings = fromContext({
      useThreadWorkers: 'true',
      canary: true,
      threadPoolSize: '8',
      cancelGraceSeconds: '2.5',
      workerCpu: '2048',
      workerMemoryMiB: 8192,
      alarmEmail: 'oncall@example.com',
      extraCallbackUrls: 'http://localhost:5173/, https://admin.example.com/',
    });
    expect(settings).toMatchObject({
      useThreadWorkers: true,
      canary: true,
      threadPoolSize: 8,
      cancelGraceSeconds: 2.5,
      workerCpu: 2048,
      workerMemoryMiB: 8192,
      alarmEmail: 'oncall@example.com',
      extraCallbackUrls: ['http://localhost:5173/', 'https://admin.example.com/'],
    });
  });

  it('reports every bad value at once, naming the key and what it accepts', () => {
    let error: unknown;
    try {
      fromContext({
        useThreadWorkers: 'yes please',
        threadPoolSize: 0,
        workerCpu: 300,
        alarmEmail: 'not-an-address',
        desiredCount: 5,
        maxCount: 2,
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SettingsError);
    const problems = (error as SettingsError).problems;
    expect(problems).toEqual([
      'workerCpu=300 is not valid: expected one of 256, 512, 1024, 2048, 4096, 8192, 16384',
      'threadPoolSize=0 is not valid: expected an integer from 1 to 64',
      'useThreadWorkers="yes please" is not valid: expected true or false',
      'alarmEmail="not-an-address" is not valid: expected an e-mail address',
      'maxCount=2 is below desiredCount=5: the scaling ceiling must be at least the floor',
    ]);
    expect((error as Error).message).toContain('Invalid CDK context');
  });

  it('rejects a memory size Fargate does not offer for the chosen CPU', () => {
    expect(() => fromContext({ workerCpu: 256, workerMemoryMiB: 4096 })).toThrow(
      /workerMemoryMiB=4096 does not fit workerCpu=256: Fargate accepts 512 to 2048 MiB/,
    );
  });
});
