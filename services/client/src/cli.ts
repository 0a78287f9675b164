/**
 * `warden`: the admin API from a terminal. Readable tables by default, the API's JSON with
 * --json. Exit codes: 0 done; 1 the API refused the request (4xx: the message says why) or
 * `workflows check` found problems; 2 the request could not be made or failed (bad arguments, no URL or token, API unreachable, 5xx).
 */
import { readFile } from 'node:fs/promises';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
// The domain module alone: the core index would load the AWS SDK into every CLI call.
import {
  ERROR_TYPES,
  EXECUTION_STATUSES,
  isTerminal,
  type ErrorType,
  type ExecutionRecord,
} from '@warden/core/domain';
import type { AuditListQuery, BulkActionResponse } from '@warden/core/api-types';
// The folder check alone (it imports no AWS SDK), the same one the worker runs at start-up.
import { describeFolder, loadWorkflowFolder } from '@warden/workflows/folder';
import { WardenApiError, WardenClient } from './api-client.js';
import { ROLLOUT_MAX_MINUTES } from '@warden/core/rollout';
import { ago, details, duration, escapeControl, table } from './format.js';
import { renderRollout } from './rollout-format.js';
import { SettingsError, resolveClientSettings } from './settings.js';

interface GlobalOptions {
  apiUrl?: string;
  token?: string;
  outputs?: string;
  json?: boolean;
}

/** A mistake in how the CLI was called, found by an action (commander reports its own). */
class UsageError extends Error {}
/** A local check found problems (exit 1, like a request the API refused). */
class CheckFailed extends Error {}

function toNumber(
  name: string,
  raw: string,
  integerOnly: boolean,
  min: number,
  max: number,
): number {
  const value = Number(raw);
  const shaped = integerOnly ? /^-?\d+$/.test(raw.trim()) : Number.isFinite(value);
  if (!shaped || value < min || value > max) {
    throw new UsageError(
      `${name} must be ${integerOnly ? 'an integer' : 'a number'} from ${min} to ${max}, not ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

/** An option parser for commander: a bad value is reported as a usage error. */
const parser =
  (name: string, integerOnly: boolean, min: number, max = Number.MAX_SAFE_INTEGER) =>
  (raw: string): number => {
    try {
      return toNumber(name, raw, integerOnly, min, max);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
  };
const integer = (name: string, min: number, max?: number) => parser(name, true, min, max);
const positive = (name: string) => parser(name, false, 0.001);

/** Everything printed went through escapeControl: fields come from the API and from workflows. */
function print(text: string): void {
  process.stdout.write(`${escapeControl(text)}\n`);
}

/** Runs an action with a client, printing JSON or the table `render` makes of the result. */
function run<A extends unknown[], T>(
  fetch: (client: WardenClient, ...args: A) => Promise<T>,
  render: (result: T) => string,
) {
  return async (...args: A): Promise<void> => {
    const command = args[args.length - 1] as Command;
    const globals = command.optsWithGlobals<GlobalOptions>();
    const settings = await resolveClientSettings(globals);
    const client = new WardenClient({ apiUrl: settings.apiUrl, token: settings.token });
    const result = await fetch(client, ...args);
    print(globals.json ? JSON.stringify(result, null, 2) : render(result));
  };
}

function executionTable(items: ExecutionRecord[]): string {
  return table(
    ['EXECUTION', 'WORKFLOW', 'STATUS', 'QUEUED', 'DURATION', 'ERROR'],
    items.map((e) => [
      e.executionId,
      e.workflowId,
      e.status,
      ago(e.queuedAt),
      duration(e.durationMs),
      e.errorType
        ? `${e.errorType}${e.errorMessage ? `: ${e.errorMessage.slice(0, 60)}` : ''}`
        : '',
    ]),
  );
}

function executionDetails(e: ExecutionRecord): string {
  return details([
    ['Execution', e.executionId],
    ['Workflow', e.workflowId],
    ['Status', e.status],
    ['Queued', `${e.queuedAt} (${ago(e.queuedAt)})`],
    ['Started', e.startedAt],
    ['Finished', e.finishedAt],
    ['Duration', e.durationMs !== undefined ? duration(e.durationMs) : undefined],
    [
      'Worker',
      e.workerId
        ? `${e.workerId} pid ${e.pid ?? '-'}${e.threadId !== undefined ? ` thread ${e.threadId}` : ''}`
        : undefined,
    ],
    ['Attempt', e.attempt],
    ['Error', e.errorType ? `${e.errorType}: ${e.errorMessage ?? ''}` : undefined],
    [
      'Attempt errors',
      e.attemptErrors?.length
        ? e.attemptErrors
            .map((a) => `#${a.attempt} ${a.errorType}: ${a.errorMessage.slice(0, 80)}`)
            .join('\n')
        : undefined,
    ],
    ['Retry at', e.retryAt],
    ['Rerun of', e.rerunOf],
    [
      'Cancel asked',
      e.cancelRequestedAt ? `${e.cancelRequestedAt} by ${e.cancelRequestedBy ?? '?'}` : undefined,
    ],
    ['Input', e.input !== undefined && e.input !== null ? JSON.stringify(e.input) : undefined],
    ['Output', e.output !== undefined ? JSON.stringify(e.output) : undefined],
    ['Submitted by', e.submittedBy],
  ]);
}

export function buildProgram(): Command {
  const program = new Command('warden')
    .description('Administer Warden over its admin API')
    .option('--api-url <url>', 'API base URL (default: WARDEN_API_URL, then .warden/outputs.json)')
    .option('--token <token>', 'bearer token (default: WARDEN_ADMIN_TOKEN, then the outputs file)')
    .option('--outputs <file>', 'outputs file to read the URL and token from')
    .option('--json', 'print the API response as JSON')
    .exitOverride()
    .showHelpAfterError()
    .configureOutput({ outputError: (text, write) => write(text) });

  const workers = program.command('workers').description('the worker fleet');
  workers
    .command('list')
    .description('workers with their health, processes and load')
    .action(
      run(
        (client) => client.listWorkers(),
        ({ workers: list }) =>
          list.length
            ? table(
                ['WORKER', 'HEALTH', 'MODE', 'HEARTBEAT', 'PROCESSES', 'RUNNING', 'CAPACITY'],
                list.map((w) => [
                  w.workerId,
                  w.health,
                  w.mode,
                  ago(w.lastHeartbeatAt),
                  w.processes.map((p) => `${p.pid} g${p.generation} ${p.state}`).join('\n') || '-',
                  w.processes.reduce((n, p) => n + p.executions.length, 0),
                  w.capacity,
                ]),
              )
            : 'No worker has registered in the last day.',
      ),
    );
  workers
    .command('show <workerId>')
    .description("a worker's processes and pending commands")
    .action(
      run(
        (client, workerId: string) => client.getWorker(workerId),
        ({ worker, pendingCommands }) =>
          [
            details([
              ['Worker', worker.workerId],
              ['Health', worker.health],
              ['Mode', worker.mode],
              ['Version', worker.version],
              ['Host', `${worker.hostname} (main pid ${worker.mainPid})`],
              ['Task', worker.taskArn],
              ['Started', `${worker.startedAt} (${ago(worker.startedAt)})`],
              ['Heartbeat', ago(worker.lastHeartbeatAt)],
              ['Capacity', worker.capacity],
            ]),
            table(
              ['PID', 'GEN', 'STATE', 'SINCE', 'MEMORY', 'JOBS', 'RUNNING'],
              worker.processes.map((p) => [
                p.pid,
                p.generation,
                p.state,
                ago(p.stateSince),
                `${p.memoryMb} MB ${p.memoryKind.toUpperCase()}`,
                p.jobsProcessed,
                p.executions.map((e) => `${e.executionId} ${e.workflowId} ${e.state}`).join('\n') ||
                  '-',
              ]),
            ),
            pendingCommands.length
              ? `Pending: ${pendingCommands.map((c) => `${c.commandId} by ${c.requestedBy}`).join(', ')}`
              : 'No pending commands.',
          ].join('\n'),
      ),
    );
  workers
    .command('recycle <workerId> <pid>')
    .description('drain a process and replace it (running executions finish first)')
    .option(
      '--generation <n>',
      'the generation you mean (default: the current one, read first)',
      integer('--generation', 0),
    )
    .action(
      run(
        async (client, workerId: string, pidText: string, options: { generation?: number }) => {
          const pid = toNumber('pid', pidText, true, 1, 4_194_304);
          let generation = options.generation;
          if (generation === undefined) {
            const { worker } = await client.getWorker(workerId);
            generation = worker.processes.find((p) => p.pid === pid)?.generation ?? 0;
          }
          return client.recycleProcess(workerId, pid, generation);
        },
        ({ command, created }) =>
          `${created ? 'Recycle requested' : 'Recycle already requested'}: command ${command.commandId} (${command.status}) for process ${command.pid} generation ${command.generation} on ${command.workerId}`,
      ),
    );
  workers
    .command('stop <workerId>')
    .description("stop a silent worker's task (locally: SIGTERM to its process)")
    .option('--force', 'stop even though it still sends heartbeats')
    .action(
      run(
        (client, workerId: string, options: { force?: boolean }) =>
          client.stopWorker(workerId, Boolean(options.force)),
        (result) => `Stop sent to ${result.target} (worker ${result.workerId})`,
      ),
    );

  program
    .command('submit <workflowId>')
    .description('queue an execution')
    .option('--input <json>', 'input as JSON')
    .option('--input-file <path>', 'read the input (JSON) from a file')
    .option('--timeout <seconds>', 'timeout in seconds', positive('--timeout'))
    .option('--id <executionId>', 'execution id (makes a retry safe); generated when absent')
    .option('--wait [seconds]', 'wait for the execution to finish (default 60 s)')
    .action(
      run(
        async (
          client,
          workflowId: string,
          options: {
            input?: string;
            inputFile?: string;
            timeout?: number;
            id?: string;
            wait?: string | boolean;
          },
        ) => {
          if (options.input !== undefined && options.inputFile !== undefined) {
            throw new UsageError('give --input or --input-file, not both');
          }
          const raw = options.inputFile ? await readFile(options.inputFile, 'utf8') : options.input;
          let input: unknown;
          if (raw !== undefined) {
            try {
              input = JSON.parse(raw) as unknown;
            } catch (error) {
              throw new UsageError(`the input is not JSON: ${(error as Error).message}`);
            }
          }
          const { execution } = await client.submitExecution({
            workflowId,
            input,
            timeoutSeconds: options.timeout,
            executionId: options.id,
          });
          if (!options.wait) return { execution };
          const seconds =
            options.wait === true ? 60 : toNumber('--wait', options.wait, false, 1, 3600);
          const deadline = Date.now() + seconds * 1000;
          let current = execution;
          while (!isTerminal(current.status) && Date.now() < deadline) {
            await new Promise((resolve) => setTimeout(resolve, 500));
            current = (await client.getExecution(execution.executionId)).execution;
          }
          return { execution: current };
        },
        ({ execution }) =>
          isTerminal(execution.status)
            ? executionDetails(execution)
            : `Queued ${execution.executionId} (${execution.workflowId}), status ${execution.status}. Follow it with: warden executions show ${execution.executionId}`,
      ),
    );

  const executions = program.command('executions').description('execution records');
  executions
    .command('list')
    .description('newest first, filtered')
    .option('--workflow <workflowId>', 'only this workflow')
    .addOption(new Option('--status <status>', 'only this status').choices([...EXECUTION_STATUSES]))
    .option('--from <instant>', 'queued at or after (ISO-8601)')
    .option('--to <instant>', 'queued before (ISO-8601)')
    .option('--search <id>', 'an execution id or its first characters')
    .addOption(new Option('--error-type <type>', 'only this error type').choices([...ERROR_TYPES]))
    .option('--worker <workerId>', 'only executions that ran on this worker')
    .option('--limit <n>', 'page size, 1-200', integer('--limit', 1, 200))
    .option('--cursor <cursor>', 'the next page, as printed below a page')
    .action(
      run(
        (
          client,
          options: {
            workflow?: string;
            status?: ExecutionRecord['status'];
            search?: string;
            errorType?: ErrorType;
            worker?: string;
            from?: string;
            to?: string;
            limit?: number;
            cursor?: string;
          },
        ) =>
          client.listExecutions({
            workflowId: options.workflow,
            status: options.status,
            from: options.from,
            to: options.to,
            q: options.search,
            errorType: options.errorType,
            workerId: options.worker,
            limit: options.limit,
            cursor: options.cursor,
          }),
        ({ items, nextCursor }) =>
          (items.length ? executionTable(items) : 'No executions match.') +
          (nextCursor ? `\nMore: --cursor ${nextCursor}` : ''),
      ),
    );
  executions
    .command('show <executionId>')
    .description('one execution record')
    .action(
      run(
        (client, executionId: string) => client.getExecution(executionId),
        ({ execution }) => executionDetails(execution),
      ),
    );

  executions
    .command('cancel <executionId>')
    .description(
      'cancel a QUEUED execution (never starts) or a RUNNING one (its AbortSignal fires)',
    )
    .action(
      run(
        (client, executionId: string) => client.cancelExecution(executionId),
        ({ execution, outcome }) =>
          outcome === 'CANCELLED'
            ? `Cancelled ${execution.executionId}: it had not started and never will`
            : `Cancelling ${execution.executionId}: its worker fires the AbortSignal; it ends CANCELLED if it stops within the grace period`,
      ),
    );
  executions
    .command('rerun <executionId>')
    .description('run a finished execution again: a new execution, same workflow and input')
    .option('--id <executionId>', 'id of the new execution; generated when absent')
    .action(
      run(
        (client, executionId: string, options: { id?: string }) =>
          client.rerunExecution(executionId, options.id),
        ({ execution }) =>
          `Queued ${execution.executionId} (${execution.workflowId}), a rerun of ${execution.rerunOf ?? '?'}`,
      ),
    );
  const bulkSummary = (verb: string) => (result: BulkActionResponse) => {
    const more = result.truncated ? ' (more match; run again for the rest)' : '';
    if (result.dryRun) {
      return result.matched
        ? `${result.matched} execution(s) would be ${verb}${more}:\n${result.executionIds.join('\n')}\nRun again with --yes to act.`
        : 'No executions match.';
    }
    return result.results?.length
      ? table(
          ['EXECUTION', 'OUTCOME', 'NEW EXECUTION'],
          result.results.map((r) => [r.executionId, r.outcome, r.newExecutionId ?? '']),
        ) + more
      : 'No executions match.';
  };
  executions
    .command('cancel-many')
    .description('cancel QUEUED and RUNNING executions by filter (counts first; --yes acts)')
    .option('--workflow <workflowId>', 'only this workflow')
    .addOption(new Option('--status <status>', 'only this status').choices(['QUEUED', 'RUNNING']))
    .option('--from <instant>', 'queued at or after (ISO-8601)')
    .option('--to <instant>', 'queued before (ISO-8601)')
    .option('--yes', 'act (without it, only count and list what matches)')
    .action(
      run(
        (
          client,
          options: {
            workflow?: string;
            status?: 'QUEUED' | 'RUNNING';
            from?: string;
            to?: string;
            yes?: boolean;
          },
        ) =>
          client.bulkCancel({
            workflowId: options.workflow,
            status: options.status,
            from: options.from,
            to: options.to,
            dryRun: !options.yes,
          }),
        bulkSummary('cancelled'),
      ),
    );
  executions
    .command('rerun-failed')
    .description('rerun FAILED executions by filter (counts first; --yes acts)')
    .option('--workflow <workflowId>', 'only this workflow')
    .addOption(new Option('--error-type <type>', 'only this error type').choices([...ERROR_TYPES]))
    .option('--from <instant>', 'queued at or after (ISO-8601)')
    .option('--to <instant>', 'queued before (ISO-8601)')
    .option('--yes', 'act (without it, only count and list what matches)')
    .action(
      run(
        (
          client,
          options: {
            workflow?: string;
            errorType?: (typeof ERROR_TYPES)[number];
            from?: string;
            to?: string;
            yes?: boolean;
          },
        ) =>
          client.bulkRerun({
            workflowId: options.workflow,
            errorType: options.errorType,
            from: options.from,
            to: options.to,
            dryRun: !options.yes,
          }),
        bulkSummary('rerun'),
      ),
    );

  program
    .command('pause <workflowId>')
    .description('hold a workflow: its executions wait in the queue, neither run nor fail')
    .requiredOption('--reason <text>', 'why (shown wherever the pause is)')
    .action(
      run(
        (client, workflowId: string, options: { reason: string }) =>
          client.pauseWorkflow(workflowId, options.reason),
        ({ pause }) =>
          `Paused ${pause.workflowId} (${pause.reason}); ${pause.waiting} execution(s) wait. Resume with: warden resume ${pause.workflowId}`,
      ),
    );
  program
    .command('resume <workflowId>')
    .description('let a paused workflow run again; what waited runs within seconds')
    .action(
      run(
        (client, workflowId: string) => client.resumeWorkflow(workflowId),
        ({ pause }) =>
          `Resumed ${pause.workflowId} (paused since ${pause.pausedAt} by ${pause.pausedBy}); ${pause.waiting} waiting execution(s) run now`,
      ),
    );

  const deadLetters = program
    .command('dead-letters')
    .description('messages in the dead-letter queue');
  deadLetters
    .command('list')
    .description('each message with its execution, when there is a record')
    .action(
      run(
        (client) => client.listDeadLetters(),
        ({ messages, depth }) =>
          messages.length
            ? table(
                ['MESSAGE', 'RECEIVES', 'FIRST SENT', 'EXECUTION', 'STATUS', 'BODY'],
                messages.map((m) => [
                  m.messageId,
                  m.receiveCount,
                  m.firstSentAt ? ago(m.firstSentAt) : '-',
                  m.executionId ?? '-',
                  m.status ? `${m.status}${m.errorType ? ` ${m.errorType}` : ''}` : 'no record',
                  m.bodyPreview.slice(0, 60),
                ]),
              ) + `\n${depth} in the queue`
            : 'The dead-letter queue is empty.',
      ),
    );
  deadLetters
    .command('redrive [messageIds...]')
    .description('move messages back to the work queue (or every one, with --all)')
    .option('--all', 'every message in the dead-letter queue')
    .action(
      run(
        (client, messageIds: string[], options: { all?: boolean }) => {
          if (Boolean(options.all) === messageIds.length > 0) {
            throw new UsageError('name message ids or give --all, not both');
          }
          return client.redriveDeadLetters(options.all ? 'all' : messageIds);
        },
        (r) =>
          r.method === 'move-task'
            ? `SQS is moving every message back (move task ${r.taskHandle ?? '?'})`
            : `Moved ${r.moved.length} message(s) back to the work queue${r.notFound.length ? `; not found: ${r.notFound.join(', ')}` : ''}`,
      ),
    );
  deadLetters
    .command('delete <messageIds...>')
    .description('delete messages from the dead-letter queue for good')
    .action(
      run(
        (client, messageIds: string[]) => client.deleteDeadLetters(messageIds),
        (r) =>
          `Deleted ${r.deleted.length} message(s)${r.notFound.length ? `; not found: ${r.notFound.join(', ')}` : ''}`,
      ),
    );

  const blacklist = program.command('blacklist').description('workflows refused everywhere');
  blacklist
    .command('list')
    .description('blacklisted workflows')
    .option('--all', 'also the removed entries')
    .action(
      run(
        (client, options: { all?: boolean }) => client.listBlacklist(Boolean(options.all)),
        ({ entries, history }) => {
          const active = entries.length
            ? table(
                ['WORKFLOW', 'REASON', 'SINCE', 'BY'],
                entries.map((e) => [
                  e.workflowId,
                  e.reason,
                  ago(e.blacklistedAt),
                  e.blacklistedBy ?? 'circuit breaker',
                ]),
              )
            : 'No workflow is blacklisted.';
          if (!history) return active;
          const removed = history.length
            ? table(
                ['WORKFLOW', 'REASON', 'BLACKLISTED', 'REMOVED', 'REMOVED BY'],
                history.map((e) => [
                  e.workflowId,
                  e.reason,
                  e.blacklistedAt,
                  e.removedAt ?? '-',
                  e.removedBy ?? '-',
                ]),
              )
            : 'No removed entries.';
          return `${active}\nRemoved:\n${removed}`;
        },
      ),
    );
  blacklist
    .command('add <workflowId>')
    .description('refuse a workflow everywhere')
    .requiredOption('--reason <text>', 'why (stored as manual:<text>)')
    .action(
      run(
        (client, workflowId: string, options: { reason: string }) =>
          client.addToBlacklist({ workflowId, reason: options.reason }),
        ({ entry }) => `Blacklisted ${entry.workflowId} (${entry.reason})`,
      ),
    );
  blacklist
    .command('remove <workflowId>')
    .description('accept a workflow again (its stuck counter restarts from zero)')
    .action(
      run(
        (client, workflowId: string) => client.removeFromBlacklist(workflowId),
        ({ entry }) =>
          `Removed ${entry.workflowId} from the blacklist; its stuck counter restarts from zero`,
      ),
    );

  program
    .command('audit')
    .description('the audit trail: who changed what, when, and how it ended (newest first)')
    .option('--actor <who>', 'only this actor (local-admin, a Cognito user name)')
    .option('--action <action>', 'only this action, e.g. blacklist.create or workflow.pause')
    .option('--target <id>', 'only this target (a workflow, worker or execution id)')
    .option('--from <instant>', 'at or after (ISO-8601)')
    .option('--to <instant>', 'before (ISO-8601)')
    .option('--limit <n>', 'page size, 1-200', integer('--limit', 1, 200))
    .option('--cursor <cursor>', 'the next page, as printed below a page')
    .action(
      run(
        (client, options: AuditListQuery) =>
          client.listAudit({
            actor: options.actor,
            action: options.action,
            target: options.target,
            from: options.from,
            to: options.to,
            limit: options.limit,
            cursor: options.cursor,
          }),
        ({ items, nextCursor }) =>
          (items.length
            ? table(
                ['AT', 'ACTOR', 'ROLE', 'ACTION', 'TARGET', 'OUTCOME', 'REQUEST'],
                items.map((e) => [
                  e.at,
                  e.actor,
                  e.actorRole,
                  e.action,
                  e.target,
                  `${e.outcome} ${e.status}`,
                  e.requestId,
                ]),
              )
            : 'No audit entries match.') + (nextCursor ? `\nMore: --cursor ${nextCursor}` : ''),
      ),
    );

  const config = program.command('config').description('circuit-breaker settings');
  const renderConfig = (c: Awaited<ReturnType<WardenClient['getConfig']>>) =>
    details([
      ['stuck_circuit_breaker_threshold', c.stuck_circuit_breaker_threshold],
      ['stuck_circuit_breaker_window_minutes', c.stuck_circuit_breaker_window_minutes],
      ['updated', c.updatedAt ? `${c.updatedAt} by ${c.updatedBy ?? '?'}` : 'never (defaults)'],
    ]);
  config
    .command('get')
    .description('the current threshold and window')
    .action(run((client) => client.getConfig(), renderConfig));
  config
    .command('set')
    .description('change the threshold and/or the window')
    .option(
      '--threshold <n>',
      'stuck executions that blacklist a workflow, 1-1000',
      integer('--threshold', 1, 1000),
    )
    .option(
      '--window-minutes <n>',
      'counting window in minutes, 1-10080',
      integer('--window-minutes', 1, 10080),
    )
    .action(
      run(async (client, options: { threshold?: number; windowMinutes?: number }) => {
        if (options.threshold === undefined && options.windowMinutes === undefined) {
          throw new UsageError('give --threshold and/or --window-minutes');
        }
        return client.updateConfig({
          stuck_circuit_breaker_threshold: options.threshold,
          stuck_circuit_breaker_window_minutes: options.windowMinutes,
        });
      }, renderConfig),
    );

  program
    .command('queue')
    .description('queue depth, tracked and untracked messages, dead letters')
    .action(
      run(
        (client) => client.queue(),
        (q) =>
          [
            details([
              ['Visible', q.queue.visible],
              ['In flight', q.queue.inFlight],
              ['Delayed', q.queue.delayed],
              ['Dead letters', q.deadLetter.depth],
              ['Tracked (QUEUED)', q.tracked.count],
              ['Untracked (raw)', q.untracked],
              [
                'Paused',
                q.paused.length
                  ? q.paused
                      .map(
                        (p) =>
                          `${p.workflowId}: ${p.waiting} waiting, since ${ago(p.pausedAt)} by ${p.pausedBy} (${p.reason})`,
                      )
                      .join('\n')
                  : 'none',
              ],
            ]),
            q.tracked.executions.length
              ? table(
                  ['EXECUTION', 'WORKFLOW', 'WAITING'],
                  q.tracked.executions.map((e) => [
                    e.executionId,
                    e.workflowName,
                    duration(e.ageMs),
                  ]),
                )
              : '',
          ]
            .filter(Boolean)
            .join('\n'),
      ),
    );

  program
    .command('stuck')
    .description('stuck executions per workflow')
    .option('--hours <n>', 'how far back, 1-336 (default 24)', integer('--hours', 1, 336))
    .action(
      run(
        (client, options: { hours?: number }) => client.stuckHistory(options.hours),
        (h) =>
          h.workflows.length
            ? table(
                ['WORKFLOW', 'STUCK', 'LAST STUCK', 'BLACKLISTED'],
                h.workflows.map((w) => [
                  w.workflowId,
                  w.count,
                  ago(w.lastStuckAt),
                  w.blacklisted ? 'yes' : 'no',
                ]),
              )
            : `Nothing stuck in the last ${h.hours} h.`,
      ),
    );

  program
    .command('rollout')
    .description('thread mode (canary) against process mode (baseline), with the verdict')
    .option(
      '--minutes <n>',
      `the window, 1-${ROLLOUT_MAX_MINUTES} (default 60)`,
      integer('--minutes', 1, ROLLOUT_MAX_MINUTES),
    )
    .action(
      run(
        (client, options: { minutes?: number }) => client.rollout(options.minutes),
        renderRollout,
      ),
    );

  const workflows = program
    .command('workflows')
    .description('the workflows the registered workers can run')
    .action(
      run(
        (client) => client.listWorkflows(),
        ({ workflows }) =>
          workflows.length
            ? table(
                ['WORKFLOW', 'NAME', 'TIMEOUT', 'RETRY', 'WORKERS', 'BLACKLISTED', 'PAUSED'],
                workflows.map((w) => [
                  w.id,
                  w.name,
                  `${w.timeoutSeconds} s`,
                  w.retry
                    ? `${w.retry.attempts}x, ${w.retry.backoffSeconds} s${w.retry.backoffRate ? ` x${w.retry.backoffRate}` : ''}${w.idempotent ? ', idempotent' : ''}`
                    : 'none',
                  w.workers,
                  w.blacklisted ? 'yes' : 'no',
                  w.paused
                    ? `since ${ago(w.paused.pausedAt)} by ${w.paused.pausedBy}, ${w.paused.waiting} waiting`
                    : 'no',
                ]),
              )
            : 'No worker is registered, so no workflow is known.',
      ),
    );
  workflows
    .command('check <dir>')
    .description(
      'load a workflows folder as a worker would and report every problem (exit 1 if any)',
    )
    .action(async (dir: string) => {
      const report = describeFolder(await loadWorkflowFolder(dir));
      if (!report.ok) throw new CheckFailed(report.text);
      print(report.text);
    });

  return program;
}

export async function main(argv: string[] = process.argv): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof WardenApiError) {
      const where = error.field ? ` [${error.field}]` : '';
      process.stderr.write(
        escapeControl(
          `Error${error.status ? ` ${error.status}` : ''} ${error.code}${where}: ${error.message}`,
        ) + '\n',
      );
      return error.status >= 400 && error.status < 500 ? 1 : 2;
    }
    if (error instanceof CommanderError) {
      // Commander printed the problem (or the help) already.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof CheckFailed) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    if (error instanceof SettingsError || error instanceof UsageError) {
      process.stderr.write(`Error: ${escapeControl(error.message)}\n`);
      return 2;
    }
    process.stderr.write(
      `Error: ${escapeControl(error instanceof Error ? error.message : String(error))}\n`,
    );
    return 2;
  }
}
