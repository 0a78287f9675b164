/** Pages, their titles, and the rule that every page but sign-in needs a signed-in user. */
import { createRouter, type RouterHistory } from 'vue-router';
import type { Pinia } from 'pinia';
import { useAuthStore } from './stores/auth';

export const PRODUCT_NAME = 'Warden Admin';

declare module 'vue-router' {
  interface RouteMeta {
    title?: string;
    public?: boolean;
  }
}

export function createAppRouter(history: RouterHistory, pinia: Pinia) {
  const router = createRouter({
    history,
    routes: [
      { path: '/', redirect: '/workers' },
      {
        path: '/login',
        name: 'login',
        component: () => import('./views/LoginView.vue'),
        meta: { title: 'Sign in', public: true },
      },
      {
        path: '/auth/callback',
        name: 'auth-callback',
        component: () => import('./views/AuthCallbackView.vue'),
        meta: { title: 'Signing in', public: true },
      },
      {
        path: '/workers',
        name: 'workers',
        component: () => import('./views/WorkersView.vue'),
        meta: { title: 'Workers' },
      },
      {
        path: '/executions',
        name: 'executions',
        component: () => import('./views/ExecutionsView.vue'),
        meta: { title: 'Executions' },
      },
      {
        path: '/executions/:executionId',
        name: 'execution',
        component: () => import('./views/ExecutionDetailView.vue'),
        props: true,
        meta: { title: 'Execution' },
      },
      {
        path: '/blacklist',
        name: 'blacklist',
        component: () => import('./views/BlacklistView.vue'),
        meta: { title: 'Blacklist' },
      },
      {
        path: '/workflows',
        name: 'workflows',
        component: () => import('./views/WorkflowsView.vue'),
        meta: { title: 'Workflows' },
      },
      {
        path: '/dead-letters',
        name: 'dead-letters',
        component: () => import('./views/DeadLettersView.vue'),
        meta: { title: 'Dead letters' },
      },
      {
        path: '/stuck-history',
        name: 'stuck-history',
        component: () => import('./views/StuckHistoryView.vue'),
        meta: { title: 'Stuck history' },
      },
      {
        path: '/rollout',
        name: 'rollout',
        component: () => import('./views/RolloutView.vue'),
        meta: { title: 'Rollout' },
      },
      {
        path: '/settings',
        name: 'settings',
        component: () => import('./views/SettingsView.vue'),
        meta: { title: 'Circuit breaker settings' },
      },
      {
        path: '/audit',
        name: 'audit',
        component: () => import('./views/AuditView.vue'),
        meta: { title: 'Audit trail' },
      },
      {
        path: '/:pathMatch(.*)*',
        name: 'not-found',
        component: () => import('./views/NotFoundView.vue'),
        meta: { title: 'Page not found' },
      },
    ],
  });

  router.beforeEach((to) => {
    const auth = useAuthStore(pinia);
    if (!to.meta.public && !auth.signedIn) {
      return {
        name: 'login',
        query: to.fullPath !== '/' && to.fullPath !== '/workers' ? { redirect: to.fullPath } : {},
      };
    }
    if (to.name === 'login' && auth.signedIn) return { name: 'workers' };
    return true;
  });

  router.afterEach((to) => {
    document.title = to.meta.title ? `${to.meta.title} · ${PRODUCT_NAME}` : PRODUCT_NAME;
  });

  return router;
}
