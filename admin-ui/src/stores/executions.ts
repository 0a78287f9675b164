/**
 * The execution history the Executions page shows: one filtered, paginated listing that live
 * events keep current (new submissions appear, running ones finish in place).
 */
import { defineStore } from 'pinia';
import { reactive, ref } from 'vue';
import type { ExecutionFilters, ExecutionRecord, WardenEvent } from '../api/types';
import { api } from '../services';

export const PAGE_SIZE = 25;

export type ListFilters = Omit<ExecutionFilters, 'cursor' | 'limit'>;

function matches(
  filters: ListFilters,
  record: Pick<
    ExecutionRecord,
    'executionId' | 'workflowId' | 'status' | 'queuedAt' | 'errorType' | 'workerId'
  >,
): boolean {
  if (filters.q && !record.executionId.startsWith(filters.q)) return false;
  if (filters.errorType && filters.errorType !== record.errorType) return false;
  if (filters.workerId && filters.workerId !== record.workerId) return false;
  if (filters.workflowId && filters.workflowId !== record.workflowId) return false;
  if (filters.status && filters.status !== record.status) return false;
  if (filters.from && record.queuedAt < filters.from) return false;
  if (filters.to && record.queuedAt >= filters.to) return false;
  return true;
}

export const useExecutionsStore = defineStore('executions', () => {
  const items = ref<ExecutionRecord[]>([]);
  const filters = reactive<ListFilters>({});
  const nextCursor = ref<string | undefined>();
  const loaded = ref(false);
  const loading = ref(false);
  const loadingMore = ref(false);
  const error = ref<string | undefined>();
  let generation = 0;

  async function load(next: ListFilters = filters): Promise<void> {
    const ticket = ++generation;
    Object.assign(
      filters,
      {
        workflowId: undefined,
        status: undefined,
        from: undefined,
        to: undefined,
        q: undefined,
        errorType: undefined,
        workerId: undefined,
      },
      next,
    );
    loading.value = true;
    try {
      const page = await api().listExecutions({ ...filters, limit: PAGE_SIZE });
      if (ticket !== generation) return;
      items.value = page.items;
      nextCursor.value = page.nextCursor;
      loaded.value = true;
      error.value = undefined;
    } catch (caught) {
      if (ticket !== generation) return;
      error.value = caught instanceof Error ? caught.message : String(caught);
    } finally {
      if (ticket === generation) loading.value = false;
    }
  }

  async function loadMore(): Promise<void> {
    if (!nextCursor.value || loadingMore.value) return;
    loadingMore.value = true;
    try {
      const page = await api().listExecutions({
        ...filters,
        limit: PAGE_SIZE,
        cursor: nextCursor.value,
      });
      const seen = new Set(items.value.map((i) => i.executionId));
      items.value = [...items.value, ...page.items.filter((i) => !seen.has(i.executionId))];
      nextCursor.value = page.nextCursor;
    } catch (caught) {
      error.value = caught instanceof Error ? caught.message : String(caught);
    } finally {
      loadingMore.value = false;
    }
  }

  /** Re-reads the first page (after a reconnect) only if the page was ever loaded. */
  async function refresh(): Promise<void> {
    if (loaded.value) await load({ ...filters });
  }

  function patch(
    executionId: string,
    change: Partial<ExecutionRecord>,
  ): ExecutionRecord | undefined {
    const record = items.value.find((i) => i.executionId === executionId);
    if (record) Object.assign(record, change);
    return record;
  }

  /** Shows a submission made from this page at once, without waiting for its event. */
  function insert(record: ExecutionRecord): void {
    if (!loaded.value || items.value.some((i) => i.executionId === record.executionId)) return;
    if (matches(filters, record)) items.value = [record, ...items.value];
  }

  function applyEvent(event: WardenEvent): void {
    if (!loaded.value) return;
    switch (event.type) {
      case 'queue_changed':
        if (event.change === 'queued' && event.executionId && event.workflowId) {
          const record: ExecutionRecord = {
            executionId: event.executionId,
            workflowId: event.workflowId,
            status: 'QUEUED',
            queuedAt: event.at,
          };
          if (
            !items.value.some((i) => i.executionId === record.executionId) &&
            matches(filters, record)
          ) {
            items.value = [record, ...items.value];
          }
        }
        return;
      case 'execution_started':
        patch(event.executionId, {
          status: 'RUNNING',
          startedAt: event.at,
          workerId: event.workerId,
          pid: event.pid,
          attempt: event.attempt,
        });
        return;
      case 'execution_finished':
        // A row that no longer matches a status filter stays until the next load, so it does
        // not vanish under the pointer.
        patch(event.executionId, {
          status: event.status,
          finishedAt: event.at,
          errorType: event.errorType,
          durationMs: event.durationMs,
        });
        return;
      default:
        return;
    }
  }

  return {
    items,
    filters,
    nextCursor,
    loaded,
    loading,
    loadingMore,
    error,
    load,
    loadMore,
    refresh,
    insert,
    applyEvent,
  };
});
