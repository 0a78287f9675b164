/**
 * The AWS credentials workflows get. In AWS the worker assumes WORKFLOW_ROLE_ARN (a role the
 * platform team extends in CDK, see infra WorkflowRole) and hands its short-lived credentials to
 * runners, refreshing them well before they expire; the worker's own task role is never seen by a
 * workflow. Against the emulators, fixed dummy keys (WORKFLOW_AWS_ACCESS_KEY_ID) stand in. With
 * neither, workflows get no AWS credentials at all.
 */
import type { STSClient } from '@aws-sdk/client-sts';
import type { Logger } from '@warden/core';
import type { RunnerCredentials } from './workflow-env.js';

/** Lifetime asked of STS (its default, and the most a role-chained session may have). */
export const WORKFLOW_SESSION_SECONDS = 3600;
/** Refresh this long before expiry; the AWS SDK itself refreshes 5 minutes before. */
export const REFRESH_BEFORE_EXPIRY_MS = 15 * 60_000;
/**
 * After a failed refresh, try again this soon (while the old credentials are still valid); also the
 * least time between two refreshes.
 */
export const REFRESH_RETRY_MS = 30_000;

export interface WorkflowCredentialOptions {
  roleArn?: string;
  fixed?: { accessKeyId: string; secretAccessKey: string };
  /** Built only when a role is set (the SDK's STS client is loaded then, not at start-up). */
  sts?: () => STSClient | Promise<STSClient>;
  sessionName: string;
  logger: Logger;
  refreshBeforeExpiryMs?: number;
  retryMs?: number;
  /** Called after each refresh, to hand the new credentials to live runners. */
  onRefresh?: () => void;
}

export class WorkflowCredentials {
  private value: RunnerCredentials | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private client: STSClient | undefined;
  private stopped = false;

  constructor(private readonly options: WorkflowCredentialOptions) {
    if (options.fixed) this.value = { ...options.fixed };
  }

  /** What runners get now. */
  current(): RunnerCredentials | undefined {
    return this.value;
  }

  /** Obtains the first credentials (a failure stops start-up) and schedules the refresh. */
  async start(): Promise<void> {
    if (!this.options.roleArn) return;
    this.value = await this.assume();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.client?.destroy();
  }

  private async assume(): Promise<RunnerCredentials> {
    this.client ??= await this.options.sts!();
    const { AssumeRoleCommand } = await import('@aws-sdk/client-sts');
    const result = await this.client.send(
      new AssumeRoleCommand({
        RoleArn: this.options.roleArn,
        RoleSessionName: this.options.sessionName,
        DurationSeconds: WORKFLOW_SESSION_SECONDS,
      }),
    );
    const c = result.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
      throw new Error(`STS AssumeRole of ${this.options.roleArn} returned no credentials`);
    }
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: c.Expiration,
    };
  }

  private schedule(delayMs?: number): void {
    if (this.stopped) return;
    const before = this.options.refreshBeforeExpiryMs ?? REFRESH_BEFORE_EXPIRY_MS;
    const expiresAt = this.value?.expiration?.getTime() ?? Date.now();
    // Never sooner than a retry: a set that is already due (a short role session, a skewed clock)
    // would otherwise have STS called in a loop.
    const floor = this.options.retryMs ?? REFRESH_RETRY_MS;
    const wait = delayMs ?? Math.max(floor, expiresAt - before - Date.now());
    this.timer = setTimeout(() => void this.refresh(), wait);
    this.timer.unref();
  }

  private async refresh(): Promise<void> {
    try {
      this.value = await this.assume();
      this.options.logger.info(
        { expiration: this.value.expiration?.toISOString() },
        'refreshed the workflow credentials',
      );
      this.options.onRefresh?.();
      this.schedule();
    } catch (error) {
      if (this.stopped) return;
      this.options.logger.error(
        { err: error, roleArn: this.options.roleArn },
        'could not refresh the workflow credentials; retrying',
      );
      this.schedule(this.options.retryMs ?? REFRESH_RETRY_MS);
    }
  }
}
