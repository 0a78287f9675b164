/**
 * The canary-vs-baseline comparison for the Rollout view: one window at a time, refetched when
 * executions finish or get stuck (coalesced) and every 15 seconds besides, since memory comes
 * from heartbeats that raise no event of their own.
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { RolloutResponse, WardenEvent } from '../api/types';
import { api } from '../services';

export const ROLLOUT_REFRESH_MS = 15_000;
/** Events after which the figures have changed. */
const CHANGES: WardenEvent['type'][] = ['execution_finished', 'execution_stuck'];

export const useRolloutStore = defineStore('rollout', () => {
  const minutes = ref(60);
  const report = ref<RolloutResponse | undefined>();
  const loading = ref(false);
  const error = ref<string | undefined>();
  /** When the figures on screen were read. */
  const loadedAt = ref<number | undefined>();
  let pending: Promise<void> | undefined;
  let again = false;

  async function fetchOnce(): Promise<void> {
    loading.value = true;
    try {
      const asked = minutes.value;
      const body = await api().getRollout(asked);
      // A window changed while this one was read is read again below.
      if (asked === minutes.value) {
        report.value = body;
        loadedAt.value = Date.now();
      }
      error.value = undefined;
    } catch (caught) {
      error.value = caught instanceof Error ? caught.message : String(caught);
    } finally {
      loading.value = false;
    }
  }

  /** Reads the window; a call while one runs is folded into one more read after it. */
  async function load(): Promise<void> {
    if (pending) {
      again = true;
      return pending;
    }
    pending = (async () => {
      do {
        again = false;
        await fetchOnce();
      } while (again);
    })().finally(() => (pending = undefined));
    return pending;
  }

  function setMinutes(value: number): Promise<void> {
    minutes.value = value;
    return load();
  }

  /** True when the event changes what the view shows. */
  const affects = (event: WardenEvent): boolean => CHANGES.includes(event.type);

  return { minutes, report, loading, error, loadedAt, load, setMinutes, affects };
});
