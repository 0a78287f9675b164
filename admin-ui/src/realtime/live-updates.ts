/**
 * Wires the realtime connection to the stores: each event becomes store actions, each resync
 * re-reads whatever the app has loaded, and the connection state is shown in the header.
 */
import type { Pinia } from 'pinia';
import type { WardenEvent } from '../api/types';
import { useAuthStore } from '../stores/auth';
import { useBlacklistStore } from '../stores/blacklist';
import { useCatalogStore } from '../stores/catalog';
import { useConnectionStore } from '../stores/connection';
import { useExecutionsStore } from '../stores/executions';
import { useFleetStore } from '../stores/fleet';
import { RealtimeConnection, type RealtimeOptions } from './connection';
import { liveEvents } from './live-events';

export function createLiveUpdates(
  pinia: Pinia,
  webSocketUrl: string,
  overrides: Partial<RealtimeOptions> = {},
): RealtimeConnection {
  const auth = useAuthStore(pinia);
  const fleet = useFleetStore(pinia);
  const blacklist = useBlacklistStore(pinia);
  const executions = useExecutionsStore(pinia);
  const catalog = useCatalogStore(pinia);
  const connection = useConnectionStore(pinia);

  const dispatch = (event: WardenEvent): void => {
    connection.lastEventAt = Date.now();
    fleet.applyEvent(event);
    blacklist.applyEvent(event);
    executions.applyEvent(event);
    liveEvents.emit(event);
  };

  return new RealtimeConnection({
    url: () => {
      const token = auth.currentToken();
      if (!token) return undefined;
      const url = new URL(webSocketUrl);
      url.searchParams.set('token', token);
      return url.toString();
    },
    onEvent: dispatch,
    resync: async () => {
      const tasks: Promise<void>[] = [fleet.resync()];
      if (blacklist.loaded || blacklist.error) tasks.push(blacklist.load());
      if (catalog.loaded) tasks.push(catalog.load());
      tasks.push(executions.refresh());
      await Promise.all(tasks);
    },
    onStatus: (status) => {
      connection.state = status.state;
      connection.attempt = status.attempt;
      connection.retryAt = status.retryAt;
    },
    onResync: (error) => {
      if (error) {
        connection.syncError = error instanceof Error ? error.message : String(error);
      } else {
        connection.syncError = undefined;
        connection.lastSyncAt = Date.now();
      }
    },
    ...overrides,
  });
}
