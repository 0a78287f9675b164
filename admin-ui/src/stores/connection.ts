/** The live connection's state, for the header indicator and for views that show staleness. */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ConnectionState } from '../realtime/connection';

export const useConnectionStore = defineStore('connection', () => {
  const state = ref<ConnectionState>('idle');
  /** Failed attempts since the last successful connection. */
  const attempt = ref(0);
  /** Epoch ms of the next reconnection attempt while reconnecting. */
  const retryAt = ref<number | undefined>();
  const lastEventAt = ref<number | undefined>();
  const lastSyncAt = ref<number | undefined>();
  const syncError = ref<string | undefined>();

  return { state, attempt, retryAt, lastEventAt, lastSyncAt, syncError };
});
