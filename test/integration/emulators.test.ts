/**
 * An emulator endpoint stopping while it serves a request: the request is answered in full before
 * the endpoint closes. Stopping used to cut open connections at once; dynalite then went on with
 * a scan after its store had closed and threw "Database is not open" where nothing could catch it,
 * which failed a whole test run at teardown. Here the endpoint in front of the emulators is held
 * mid-request by an upstream that answers only when told to.
 */
import { createServer, request as httpRequest, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startCombinedEndpoint } from '@warden/local/emulators';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.js';

describe('an emulator endpoint', () => {
  it('finishes the requests it is serving before it stops', async () => {
    let held: ServerResponse | undefined;
    const upstream = createServer((_request, response) => (held = response));
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const port = (upstream.address() as AddressInfo).port;
    const target = { url: `http://127.0.0.1:${port}`, port, stop: async () => {} };
    const endpoint = await startCombinedEndpoint({ dynamodb: target, sqs: target });
    try {
      const answer = new Promise<{ status?: number; body: string }>((resolve, reject) => {
        const request = httpRequest(`${endpoint.url}/`, { method: 'POST' }, (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () => resolve({ status: response.statusCode, body }));
          response.on('error', reject);
        });
        request.on('error', reject);
        request.end('{}');
      });
      await waitFor('the request to reach the upstream', () => held);
      expect(endpoint.serving).toBe(1);
      const stopped = endpoint.stop();
      held!.end('{"Count":3}');
      expect(await answer).toEqual({ status: 200, body: '{"Count":3}' });
      await stopped;
      expect(endpoint.serving).toBe(0);
    } finally {
      upstream.closeAllConnections();
      await new Promise<void>((resolve) => upstream.close(() => resolve()));
    }
  });
});
