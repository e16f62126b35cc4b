import createClient from 'openapi-fetch';
import type { paths } from './schema';

/**
 * The browser session (SPEC UI-1). The access token lives only in this object's memory; the
 * refresh token is an httpOnly cookie (`mcp_refresh`, Path=/api/auth) the console never sees.
 * On load `probe()` asks POST /api/auth/session whether the cookie still holds a session (200
 * `{authenticated:false}` when not — never an error). While signed in, a timer refreshes the
 * access token before it expires; a request that still meets a 401 refreshes once and retries
 * (api/client.ts). Every POST to /api/auth sends a JSON body (`{}` when empty): the server refuses
 * other content types where the cookie could be sent (CSRF). Refreshes are single-flight in a tab and serialised across tabs (Web Locks),
 * because every refresh rotates the cookie.
 */
export interface SessionUser {
  id: number;
  username: string;
  roles: string[];
  permissions: string[];
  mustChangePassword: boolean;
}

export type SessionState =
  | { status: 'loading' }
  | { status: 'anonymous'; expired?: boolean }
  | { status: 'authenticated'; user: SessionUser; accessToken: string; expiresAt: number };

export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const browserTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
};

/**
 * When to refresh an access token that lives `expiresInSeconds`: a fifth of its life before it
 * ends, at least 5 s and at most 60 s early, never sooner than 1 s from now.
 */
export function refreshDelayMs(expiresInSeconds: number): number {
  const life = Math.max(0, expiresInSeconds) * 1000;
  const early = Math.min(60_000, Math.max(5_000, life * 0.2));
  return Math.max(1_000, life - early);
}

export interface SessionStore {
  getState(): SessionState;
  subscribe(listener: () => void): () => void;
  /** The current access token, or null. */
  accessToken(): string | null;
  /** Asks the server whether the refresh cookie holds a session (page load). */
  probe(): Promise<void>;
  /** Signs in; resolves to an API error body (`{error}`) on failure, nothing on success. */
  login(username: string, password: string): Promise<{ code: string; message: string } | undefined>;
  /** Exchanges the refresh cookie for a new access token; null when the session is over. */
  refresh(): Promise<string | null>;
  /** Re-reads the user (after a password change the one-time flag is gone). */
  reloadUser(): Promise<void>;
  logout(): Promise<void>;
}

type Api = ReturnType<typeof createClient<paths>>;

interface Options {
  fetch?: (input: Request) => Promise<Response>;
  timers?: Timers;
  baseUrl?: string;
  /** Runs `fn` while holding a lock shared by the browser's tabs (navigator.locks); default: when available. */
  withLock?: <T>(fn: () => Promise<T>) => Promise<T>;
}

const webLock = <T>(fn: () => Promise<T>): Promise<T> => {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  return locks ? (locks.request('mcp-console-refresh', fn) as Promise<T>) : fn();
};

export function createSessionStore(opts: Options = {}): SessionStore {
  const timers = opts.timers ?? browserTimers;
  const withLock = opts.withLock ?? webLock;
  const api: Api = createClient<paths>({ baseUrl: opts.baseUrl ?? '', ...(opts.fetch ? { fetch: opts.fetch } : {}), credentials: 'same-origin' });
  let state: SessionState = { status: 'loading' };
  const listeners = new Set<() => void>();
  let timer: unknown = null;
  let inFlight: Promise<string | null> | null = null;

  const set = (next: SessionState) => {
    state = next;
    for (const l of listeners) l();
  };

  const schedule = (expiresIn: number) => {
    if (timer !== null) timers.clearTimeout(timer);
    timer = timers.setTimeout(() => {
      timer = null;
      void store.refresh();
    }, refreshDelayMs(expiresIn));
  };

  const signedIn = (user: SessionUser, accessToken: string, expiresIn: number) => {
    set({ status: 'authenticated', user, accessToken, expiresAt: timers.now() + expiresIn * 1000 });
    schedule(expiresIn);
  };

  const signedOut = (expired: boolean) => {
    if (timer !== null) timers.clearTimeout(timer);
    timer = null;
    set(expired ? { status: 'anonymous', expired: true } : { status: 'anonymous' });
  };

  const exchange = async (): Promise<string | null> => {
    const { data, response } = await api.POST('/api/auth/session', { body: {} });
    if (!response.ok || !data?.authenticated) return null;
    signedIn(data.user, data.accessToken, data.expiresIn);
    return data.accessToken;
  };

  const store: SessionStore = {
    getState: () => state,
    subscribe(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    accessToken: () => (state.status === 'authenticated' ? state.accessToken : null),

    async probe() {
      try {
        if ((await withLock(exchange)) === null) signedOut(false);
      } catch {
        signedOut(false);
      }
    },

    async login(username, password) {
      const { data, error, response } = await api.POST('/api/auth/login', { body: { username, password, session: 'cookie' } });
      if (!data) {
        const e = (error as { error?: { code: string; message: string } } | undefined)?.error;
        return e ?? { code: response.status >= 500 ? 'UNAVAILABLE' : 'INVALID', message: response.statusText };
      }
      const me = await api.GET('/api/auth/me', { headers: { authorization: `Bearer ${data.accessToken}` } });
      if (!me.data) return { code: 'UNAVAILABLE', message: 'could not read the signed-in user' };
      signedIn(me.data, data.accessToken, data.expiresIn);
      return undefined;
    },

    refresh() {
      inFlight ??= withLock(exchange)
        .catch(() => null)
        .then((token) => {
          if (token === null && state.status !== 'anonymous') signedOut(true);
          return token;
        })
        .finally(() => {
          inFlight = null;
        });
      return inFlight;
    },

    async reloadUser() {
      if (state.status !== 'authenticated') return;
      const { accessToken, expiresAt } = state;
      const me = await api.GET('/api/auth/me', { headers: { authorization: `Bearer ${accessToken}` } });
      if (me.data && state.status === 'authenticated' && state.accessToken === accessToken) set({ status: 'authenticated', user: me.data, accessToken, expiresAt });
    },

    async logout() {
      const token = store.accessToken();
      try {
        // `{}` as JSON: the server wants a JSON body on every POST that carries the cookie; its schema lists none
        await api.POST('/api/auth/logout', { body: {} as never, ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}) });
      } finally {
        signedOut(false);
      }
    },
  };
  return store;
}
