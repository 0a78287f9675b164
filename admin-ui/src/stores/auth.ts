/**
 * Who is signed in. Locally: the admin token `npm start` prints, checked against the API before
 * it is kept. In AWS: Cognito's hosted UI with PKCE (see auth/pkce.ts).
 */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { ApiError } from '../api/client';
import {
  buildAuthorizeUrl,
  buildLogoutUrl,
  challengeFor,
  createVerifier,
  exchangeCode,
} from '../auth/pkce';
import {
  clearSession,
  readSession,
  savePendingSignIn,
  takePendingSignIn,
  writeSession,
  type StoredSession,
} from '../auth/session';
import { services } from '../services';

export const useAuthStore = defineStore('auth', () => {
  const session = ref<StoredSession | undefined>(readSession());
  /** Set when the API refused the token, so the sign-in page can say why the admin is there. */
  const expiredNotice = ref<string | undefined>();

  const token = computed(() => session.value?.token);
  const signedIn = computed(() => Boolean(session.value));
  /** Only an admin may act; until the API has said, the controls stay hidden rather than fail. */
  const role = computed(() => session.value?.role);
  const canAct = computed(() => session.value?.role === 'admin');
  const readOnly = computed(() => Boolean(session.value) && session.value?.role !== 'admin');
  const readOnlyReason = computed(
    () =>
      session.value?.readOnlyReason ??
      'This account has the viewer role: actions need the admin role.',
  );
  const mode = computed(() => services().config.auth.mode);

  function currentToken(): string | undefined {
    const current = session.value;
    if (current?.expiresAt !== undefined && current.expiresAt <= Date.now()) {
      signOutLocally('Your session has expired. Sign in again.');
      return undefined;
    }
    return current?.token;
  }

  function keep(next: StoredSession): void {
    writeSession(next);
    session.value = next;
    expiredNotice.value = undefined;
  }

  /** Checks a local admin token against the API, and keeps it only if the API accepts it. */
  async function signInWithToken(candidate: string): Promise<void> {
    const trimmed = candidate.trim();
    if (!trimmed) throw new ApiError(400, 'TOKEN_REQUIRED', 'Enter the admin token.', 'token');
    let me;
    try {
      me = await services().api.verifyToken(trimmed);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        throw new ApiError(
          401,
          'TOKEN_REJECTED',
          'That token was not accepted. Copy the AdminToken printed by npm start (also in .warden/outputs.json).',
          'token',
        );
      }
      if (error instanceof ApiError && error.status === 403) {
        throw new ApiError(
          403,
          'NOT_ADMIN',
          'That token is valid but has no Warden role (neither admin nor viewer).',
          'token',
        );
      }
      throw error;
    }
    keep({ token: trimmed, kind: 'token', role: me.role, readOnlyReason: me.readOnlyReason });
  }

  /** Asks the API again what the kept token may do (after a reload, or a role change). */
  async function refreshRole(): Promise<void> {
    const current = session.value;
    if (!current) return;
    const me = await services().api.me();
    if (session.value !== current) return;
    keep({ ...current, role: me.role, readOnlyReason: me.readOnlyReason });
  }

  /** Sends the browser to the Cognito hosted UI. */
  async function startCognitoSignIn(redirect: string): Promise<void> {
    const auth = services().config.auth;
    if (auth.mode !== 'cognito') throw new Error('Cognito sign-in is not configured');
    const verifier = createVerifier();
    const state = createVerifier(16);
    savePendingSignIn({ verifier, state, redirect });
    window.location.assign(
      buildAuthorizeUrl(auth, {
        challenge: await challengeFor(verifier),
        state,
        origin: window.location.origin,
      }),
    );
  }

  /** Completes the hosted-UI round trip; returns where to go next. */
  async function completeCognitoSignIn(code: string, state: string): Promise<string> {
    const auth = services().config.auth;
    if (auth.mode !== 'cognito') throw new Error('Cognito sign-in is not configured');
    const pending = takePendingSignIn();
    if (!pending || pending.state !== state) {
      throw new Error(
        'This sign-in link is stale or was not started from this tab. Sign in again.',
      );
    }
    const tokens = await exchangeCode(auth, {
      code,
      verifier: pending.verifier,
      origin: window.location.origin,
    });
    let me;
    try {
      me = await services().api.verifyToken(tokens.accessToken);
    } catch (error) {
      if (error instanceof ApiError && error.status === 403) {
        throw new Error(
          'You are signed in, but your account has no Warden role. Ask an admin to add you to the admin or viewer group.',
          { cause: error },
        );
      }
      throw error;
    }
    keep({
      token: tokens.accessToken,
      kind: 'cognito',
      expiresAt: tokens.expiresAt,
      role: me.role,
      readOnlyReason: me.readOnlyReason,
    });
    return pending.redirect || '/';
  }

  function signOutLocally(notice?: string): void {
    clearSession();
    session.value = undefined;
    expiredNotice.value = notice;
  }

  function signOut(): void {
    const wasCognito = session.value?.kind === 'cognito';
    signOutLocally();
    const auth = services().config.auth;
    if (wasCognito && auth.mode === 'cognito') {
      window.location.assign(buildLogoutUrl(auth, window.location.origin));
    }
  }

  return {
    session,
    token,
    signedIn,
    role,
    canAct,
    readOnly,
    readOnlyReason,
    refreshRole,
    mode,
    expiredNotice,
    currentToken,
    signInWithToken,
    startCognitoSignIn,
    completeCognitoSignIn,
    signOut,
    signOutLocally,
  };
});
