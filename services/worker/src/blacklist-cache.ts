/**
 * The blacklist as the consumer sees it: read whole, kept for BLACKLIST_CACHE_SECONDS, so checking
 * every message costs no extra read. If a refresh fails, the last list read stays in use (it was
 * correct moments ago); with no list at all the check fails and the message waits to be retried.
 */
import type { BlacklistEntry, Logger } from '@warden/core';

/** Also holds the paused workflows (`WorkflowPause` rows), read the same way. */
export class BlacklistCache<Entry extends { workflowId: string } = BlacklistEntry> {
  private entries = new Map<string, Entry>();
  private loadedAt = Number.NEGATIVE_INFINITY;
  private loaded = false;
  private refreshing?: Promise<void>;

  constructor(
    private readonly source: { listActive(): Promise<Entry[]> },
    private readonly ttlMs: number,
    private readonly logger: Logger,
    private readonly clock: () => number = Date.now,
    private readonly what = 'the blacklist',
  ) {}

  async get(workflowId: string): Promise<Entry | undefined> {
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
        this.logger.warn({ err: error }, `could not refresh ${this.what}; using the last one read`);
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }
}
