/**
 * WARDEN_WORKER_MODES, the local canary setting: one executor mode per worker, validated before
 * anything starts, with a message naming the variable and what it accepts.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@warden/core';
import { workerModes } from '../src/workers.js';

describe('WARDEN_WORKER_MODES', () => {
  it('is off when unset or empty', () => {
    expect(workerModes({})).toBeUndefined();
    expect(workerModes({ WARDEN_WORKER_MODES: ' ' })).toBeUndefined();
  });

  it('lists one mode per worker, in order, spaces allowed', () => {
    expect(workerModes({ WARDEN_WORKER_MODES: 'process,thread' })).toEqual(['process', 'thread']);
    expect(workerModes({ WARDEN_WORKER_MODES: 'thread, thread ,process' })).toEqual([
      'thread',
      'thread',
      'process',
    ]);
    expect(workerModes({ WARDEN_WORKER_MODES: 'process,thread', WARDEN_WORKERS: '2' })).toEqual([
      'process',
      'thread',
    ]);
  });

  it.each(['process,threads', 'process,,thread', 'canary'])(
    'refuses %j naming the variable and what it accepts',
    (raw) => {
      expect(() => workerModes({ WARDEN_WORKER_MODES: raw })).toThrow(ConfigError);
      expect(() => workerModes({ WARDEN_WORKER_MODES: raw })).toThrow(
        `WARDEN_WORKER_MODES=${JSON.stringify(raw)} is not valid: expected a comma-separated list of 1 to 16 of "process" and "thread"`,
      );
    },
  );

  it('refuses a WARDEN_WORKERS that disagrees with the list', () => {
    expect(() =>
      workerModes({ WARDEN_WORKER_MODES: 'process,thread', WARDEN_WORKERS: '3' }),
    ).toThrow(
      'WARDEN_WORKERS="3" disagrees with WARDEN_WORKER_MODES="process,thread" (2 workers): set one of them',
    );
  });
});
