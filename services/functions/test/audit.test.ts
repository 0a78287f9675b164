import { describe, expect, it } from 'vitest';
import { actionFor, isMutation, outcomeFor, paramsFor } from '../src/http/audit.js';

describe('audit action names, derived from the route pattern', () => {
  it.each([
    ['POST', '/api/platform/workflows/:workflowId/pause', 'workflow.pause'],
    ['POST', '/api/platform/workflows/:workflowId/resume', 'workflow.resume'],
    ['POST', '/api/executions/:executionId/cancel', 'execution.cancel'],
    ['POST', '/api/executions/:executionId/rerun', 'execution.rerun'],
    ['POST', '/api/platform/dead-letters/redrive', 'dead-letter.redrive'],
    ['DELETE', '/api/platform/dead-letters/:messageId', 'dead-letter.delete'],
    ['POST', '/api/platform/workers/:workerId/processes/:pid/recycle', 'process.recycle'],
    ['POST', '/api/platform/workers/:workerId/stop', 'worker.stop'],
    ['POST', '/api/platform/blacklist', 'blacklist.create'],
    ['DELETE', '/api/platform/blacklist/:workflowId', 'blacklist.delete'],
    ['PUT', '/api/platform/config', 'config.update'],
    ['POST', '/api/executions', 'execution.create'],
    ['PATCH', '/api/platform/queues/:queueId', 'queue.update'],
  ])('%s %s is %s', (method, pattern, action) => {
    expect(actionFor(method, pattern)).toBe(action);
  });

  it('reads the path parameters back from the path, decoded', () => {
    expect(
      paramsFor(
        '/api/platform/workers/:workerId/processes/:pid/recycle',
        '/api/platform/workers/w%3A1/processes/42/recycle',
      ),
    ).toEqual({ workerId: 'w:1', pid: '42' });
  });

  it('treats every method but GET, HEAD and OPTIONS as a mutation', () => {
    expect(['GET', 'HEAD', 'OPTIONS', 'get'].map(isMutation)).toEqual([false, false, false, false]);
    expect(['POST', 'PUT', 'PATCH', 'DELETE'].map(isMutation)).toEqual([true, true, true, true]);
  });

  it('calls 2xx success, 401 and 403 denied, anything else failed', () => {
    expect([200, 202, 401, 403, 404, 409, 500].map(outcomeFor)).toEqual([
      'success',
      'success',
      'denied',
      'denied',
      'failed',
      'failed',
      'failed',
    ]);
  });
});
