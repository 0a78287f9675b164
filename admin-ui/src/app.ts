/**
 * Builds the whole app around a runtime config: API client, stores, router, PrimeVue with its
 * toast and confirm services, and the live-updates connection that follows the sign-in state.
 * main.ts calls it in the browser; tests call it with their own history and server.
 */
import { createApp, watch, type App as VueApp, type Plugin } from 'vue';
import { createPinia, type Pinia } from 'pinia';
import type { Router, RouterHistory } from 'vue-router';
import PrimeVue from 'primevue/config';
import ToastService from 'primevue/toastservice';
import ConfirmationService from 'primevue/confirmationservice';
import Tooltip from 'primevue/tooltip';
import App from './App.vue';
import { ApiClient } from './api/client';
import type { RuntimeConfig } from './config/runtime-config';
import { createLiveUpdates } from './realtime/live-updates';
import type { RealtimeConnection, RealtimeOptions } from './realtime/connection';
import { createAppRouter } from './router';
import { setServices } from './services';
import { useAuthStore } from './stores/auth';
import { useFleetStore } from './stores/fleet';
import { useThemeStore } from './stores/theme';
import { wardenTheme } from './theme';

export interface WardenSetup {
  /** Installs stores, router, PrimeVue and its services into a Vue app. */
  plugin: Plugin;
  router: Router;
  pinia: Pinia;
  live: RealtimeConnection;
}

export interface WardenApp extends WardenSetup {
  app: VueApp;
}

export function createWardenSetup(
  config: RuntimeConfig,
  history: RouterHistory,
  options: { fetch?: typeof fetch; realtime?: Partial<RealtimeOptions> } = {},
): WardenSetup {
  const pinia = createPinia();
  const api = new ApiClient({
    baseUrl: config.apiUrl,
    fetch: options.fetch,
    getToken: () => useAuthStore(pinia).currentToken(),
    onUnauthorized: () => {
      // The watch on signedIn below takes the admin back to the sign-in page.
      const auth = useAuthStore(pinia);
      if (auth.signedIn) {
        auth.signOutLocally(
          'Your session has ended or the token is no longer accepted. Sign in again.',
        );
      }
    },
  });
  setServices({ config, api });
  const router = createAppRouter(history, pinia);
  const live = createLiveUpdates(pinia, config.webSocketUrl, options.realtime);

  const plugin: Plugin = {
    install(app) {
      app.use(pinia);
      app.use(router);
      app.use(PrimeVue, { theme: wardenTheme, ripple: false });
      app.use(ToastService);
      app.use(ConfirmationService);
      app.directive('tooltip', Tooltip);
      const auth = useAuthStore(pinia);
      useThemeStore(pinia);
      const stopWatching = watch(
        () => auth.signedIn,
        (signedIn) => {
          if (signedIn) {
            live.start();
            // A session kept from before a reload: ask what it may do now (roles change).
            auth.refreshRole().catch(() => {
              // Unreachable or refused: the pages say so; a 401 already signs out.
            });
            return;
          }
          live.stop();
          // Signed out from under a page (expired or refused token): back to sign-in, and back
          // here afterwards.
          const current = router.currentRoute.value;
          if (current.matched.length && !current.meta.public) {
            void router.push({ name: 'login', query: { redirect: current.fullPath } });
          }
        },
        { immediate: true },
      );
      app.onUnmount(() => {
        stopWatching();
        live.stop();
        useFleetStore(pinia).dispose();
      });
    },
  };
  return { plugin, router, pinia, live };
}

export function createWardenApp(
  config: RuntimeConfig,
  history: RouterHistory,
  options: { fetch?: typeof fetch; realtime?: Partial<RealtimeOptions> } = {},
): WardenApp {
  const setup = createWardenSetup(config, history, options);
  const app = createApp(App);
  app.use(setup.plugin);
  return { ...setup, app };
}
