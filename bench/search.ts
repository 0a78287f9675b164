/**
 * `npm run bench:search`: what an execution search costs, on the embedded DynamoDB emulator.
 * Seeds N executions (default 3000; `--count n`), then runs each kind of search the API offers
 * through the same repository call the API makes, and prints for each the DynamoDB requests, the
 * items DynamoDB read (what AWS bills) and the time (median of 5). Figures only: the emulator's
 * times are not DynamoDB's, the request and item counts are.
 */
import { randomUUID } from 'node:crypto';
import type { ListExecutionsQuery } from '@warden/core';
import { startTestStack } from '../test/support/stack.js';

const countArg = process.argv.indexOf('--count');
const COUNT = countArg > 0 ? Number(process.argv[countArg + 1]) : 3000;

const stack = await startTestStack();
let requests = 0;
let itemsRead = 0;
stack.clients.dynamo.middlewareStack.add(
  (next) => async (args) => {
    const result = await next(args);
    const output = result.output as { ScannedCount?: number; Item?: unknown };
    requests += 1;
    itemsRead += output.ScannedCount ?? (output.Item ? 1 : 0);
    return result;
  },
  { step: 'initialize', name: 'countReads' },
);

try {
  const { executions } = stack.repos;
  const ids: string[] = [];
  process.stdout.write(`Seeding ${COUNT} executions… `);
  for (let i = 0; i < COUNT; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, COUNT - i) }, async (_, j) => {
        const n = i + j;
        // One in 300 has a caller-chosen id with a shared prefix; one in 10 failed out of memory.
        const executionId = n % 300 === 0 ? `cust-${String(n).padStart(6, '0')}` : randomUUID();
        ids.push(executionId);
        await executions.createQueued({ executionId, workflowId: n % 2 ? 'echo' : 'report' });
        if (n % 10 === 0) {
          await executions.failUnrun({
            executionId,
            workflowId: n % 2 ? 'echo' : 'report',
            errorType: 'OutOfMemory',
            errorMessage: 'bench',
            queuedAt: new Date().toISOString(),
          });
        }
      }),
    );
  }
  console.log('done.');
  const uuid = ids.find((id) => !id.startsWith('cust-'))!;

  const cases: [string, ListExecutionsQuery][] = [
    ['no filter (first page)', { limit: 50 }],
    ['q = a whole generated id', { q: uuid, limit: 50 }],
    ['q = its first 8 characters', { q: uuid.slice(0, 8), limit: 50 }],
    ['q = "cust-" (shared prefix)', { q: 'cust-', limit: 50 }],
    ['q = 8 characters, status FAILED', { q: uuid.slice(0, 8), status: 'FAILED', limit: 50 }],
    ['q = 8 characters, one workflow', { q: uuid.slice(0, 8), workflowId: 'echo', limit: 50 }],
    ['errorType = OutOfMemory', { errorType: 'OutOfMemory', limit: 50 }],
    ['workerId = a worker nobody has', { workerId: 'nobody', limit: 50 }],
  ];
  const rows: string[][] = [];
  for (const [name, query] of cases) {
    const times: number[] = [];
    let found = 0;
    let perRunRequests = 0;
    let perRunItems = 0;
    for (let run = 0; run < 5; run += 1) {
      requests = 0;
      itemsRead = 0;
      const started = performance.now();
      const page = await executions.list(query);
      times.push(performance.now() - started);
      found = page.items.length;
      perRunRequests = requests;
      perRunItems = itemsRead;
    }
    times.sort((a, b) => a - b);
    rows.push([
      name,
      String(found),
      String(perRunRequests),
      String(perRunItems),
      (times[2] as number).toFixed(1),
    ]);
  }
  const head = ['search', 'found', 'requests', 'items read', 'median ms'];
  const widths = head.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => (r[i] as string).length)),
  );
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  console.log(`\n${COUNT} executions, ${COUNT / 10} FAILED (OutOfMemory), page size 50\n`);
  console.log(line(head));
  console.log(
    `| ${widths.map((w, i) => (i ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`,
  );
  for (const row of rows) console.log(line(row));
} finally {
  await stack.stop();
}
