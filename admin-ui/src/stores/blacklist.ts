/** The blacklist (active entries and removed history), kept current by live events. */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { BlacklistEntry, WardenEvent } from '../api/types';
import { api } from '../services';

export const useBlacklistStore = defineStore('blacklist', () => {
  const active = ref<BlacklistEntry[]>([]);
  const removed = ref<BlacklistEntry[]>([]);
  const loaded = ref(false);
  const loading = ref(false);
  const error = ref<string | undefined>();

  const blacklistedIds = computed(() => new Set(active.value.map((e) => e.workflowId)));

  async function load(): Promise<void> {
    loading.value = true;
    try {
      const listing = await api().getBlacklist();
      active.value = listing.active.sort((a, b) => a.workflowId.localeCompare(b.workflowId));
      removed.value = listing.removed.sort((a, b) =>
        (b.removedAt ?? '').localeCompare(a.removedAt ?? ''),
      );
      loaded.value = true;
      error.value = undefined;
    } catch (caught) {
      error.value = caught instanceof Error ? caught.message : String(caught);
      throw caught;
    } finally {
      loading.value = false;
    }
  }

  function upsertActive(entry: BlacklistEntry): void {
    const others = active.value.filter((e) => e.workflowId !== entry.workflowId);
    active.value = [...others, entry].sort((a, b) => a.workflowId.localeCompare(b.workflowId));
  }

  function markRemoved(workflowId: string, removedBy: string, removedAt: string): void {
    const entry = active.value.find((e) => e.workflowId === workflowId);
    active.value = active.value.filter((e) => e.workflowId !== workflowId);
    if (
      entry &&
      !removed.value.some(
        (e) => e.workflowId === workflowId && e.blacklistedAt === entry.blacklistedAt,
      )
    ) {
      removed.value = [{ ...entry, removedAt, removedBy }, ...removed.value];
    }
  }

  async function add(workflowId: string, note: string): Promise<BlacklistEntry> {
    const entry = await api().addToBlacklist(workflowId, note);
    upsertActive(entry);
    return entry;
  }

  async function remove(workflowId: string): Promise<void> {
    const entry = await api().removeFromBlacklist(workflowId);
    markRemoved(workflowId, entry.removedBy ?? 'you', entry.removedAt ?? new Date().toISOString());
  }

  function applyEvent(event: WardenEvent): void {
    if (event.type === 'workflow_blacklisted') upsertActive(event.entry);
    if (event.type === 'workflow_unblacklisted')
      markRemoved(event.workflowId, event.removedBy, event.at);
  }

  return { active, removed, loaded, loading, error, blacklistedIds, load, add, remove, applyEvent };
});
