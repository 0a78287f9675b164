/**
 * The signed-in session, kept in sessionStorage: it lasts as long as the tab and is never shared
 * with other tabs or written to disk beyond the browser's own session store.
 */
export interface StoredSession {
  token: string;
  kind: 'token' | 'cognito';
  /** Epoch milliseconds after which the token is no longer sent (Cognito tokens expire). */
  expiresAt?: number;
  /** What the API said the token may do, so a reload shows the right controls at once. */
  role?: 'admin' | 'viewer' | 'none';
  readOnlyReason?: string;
}

const KEY = 'warden.session';
const PKCE_KEY = 'warden.pkce';

export function readSession(
  storage: Storage = sessionStorage,
  now = Date.now(),
): StoredSession | undefined {
  try {
    const raw = storage.getItem(KEY);
    if (!raw) return undefined;
    const session = JSON.parse(raw) as StoredSession;
    if (typeof session.token !== 'string' || !session.token) return undefined;
    if (session.expiresAt !== undefined && session.expiresAt <= now) {
      storage.removeItem(KEY);
      return undefined;
    }
    return session;
  } catch {
    return undefined;
  }
}

export function writeSession(session: StoredSession, storage: Storage = sessionStorage): void {
  storage.setItem(KEY, JSON.stringify(session));
}

export function clearSession(storage: Storage = sessionStorage): void {
  storage.removeItem(KEY);
}

export interface PendingSignIn {
  verifier: string;
  state: string;
  /** Where to go once signed in. */
  redirect: string;
}

export function savePendingSignIn(pending: PendingSignIn, storage: Storage = sessionStorage): void {
  storage.setItem(PKCE_KEY, JSON.stringify(pending));
}

/** Returns the pending sign-in once and forgets it, so a code cannot be replayed from this tab. */
export function takePendingSignIn(storage: Storage = sessionStorage): PendingSignIn | undefined {
  const raw = storage.getItem(PKCE_KEY);
  storage.removeItem(PKCE_KEY);
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as PendingSignIn;
  } catch {
    return undefined;
  }
}
