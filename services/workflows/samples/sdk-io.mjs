/**
 * Loads the AWS SDK (the DynamoDB client), makes one real call and then awaits I/O for
 * `input.holdMs` (default 1000): the shape of a typical I/O-bound workflow, used to measure
 * memory per concurrent execution.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';

export default {
  id: 'sdk-io',
  name: 'AWS SDK I/O',
  timeoutSeconds: 120,
  async run(input, ctx) {
    const client = new DynamoDBClient({ maxAttempts: 1 });
    try {
      let tables;
      try {
        const result = await client.send(new ListTablesCommand({ Limit: 5 }), {
          abortSignal: ctx.signal,
        });
        tables = result.TableNames?.length ?? 0;
      } catch (error) {
        // The call is the I/O being modelled; its failure is reported, not fatal.
        ctx.log(`ListTables failed: ${error instanceof Error ? error.message : String(error)}`);
      }
      const holdMs = Number(input?.holdMs ?? 1000);
      await sleep(holdMs, undefined, { signal: ctx.signal });
      return { tables, heldMs: holdMs };
    } finally {
      client.destroy();
    }
  },
};
