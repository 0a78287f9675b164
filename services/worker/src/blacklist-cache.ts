/**
 * The blacklist as the consumer sees it: read whole, kept for BLACKLIST_CACHE_SECONDS, so checking
 * every message costs no extra read. If a refresh fails, the last list read stays in use (it was
 * correct moments ago); with no list at all the check fails and the message waits to be retried.
 */
import type { BlacklistEntry, Logger } from '@warden/core';

export class BlacklistCache {
  private entries = new Map<string, BlacklistEntry>();
  private loadedAt = Number.NEGATIVE_INFINITY;
  private loaded = false;
  private refreshing?: Promise<void>;

  constructor(
    private readonly source: { listActive(): Promise<BlacklistEntry[]> },
    private readonly ttlMs: number,
    private readonly logger: Logger,
    private readonly clock: () => number = Date.now,
  ) {}

  async get(workflowId: string): Promise<BlacklistEntry | undefined> {
    if (this.clock() - this.loadedAt >= this.ttlMs) await this.refresh();
    return this.entries.get(workflowId);
  }

  private refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const entries = await this.source.listActive();
        this.entries = new Map(entries.map((entry) => [entry.workflowId, entry]));
        this.loadedAt = this.clock();
        this.loaded = true;
      } catch (error) {
        if (!this.loaded) throw error;
        this.logger.warn(
          { err: error },
          'could not refresh the blacklist; using the last one read',
        );
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }
}
