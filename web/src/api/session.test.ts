import { describe, expect, it } from 'vitest';
import { createAuthFetch } from './client';
import { createSessionStore, refreshDelayMs, type Timers } from './session';

/** A fake server for /api/auth/*: answers from a queue of session responses and records requests. */
function fakeServer(sessions: unknown[]) {
  const calls: { path: string; auth: string | null; body: string }[] = [];
  const fetch = async (r: Request) => {
    const path = new URL(r.url).pathname;
    calls.push({ path, auth: r.headers.get('authorization'), body: await r.text() });
    // the server refuses a POST to /api/auth without a JSON body where the cookie could ride along (CSRF)
    if (r.headers.get('content-type') !== 'application/json') return Response.json({ error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'json' } }, { status: 415 });
    if (path === '/api/auth/session') return Response.json(sessions.shift() ?? { authenticated: false });
    if (path === '/api/auth/logout') return new Response(null, { status: 204 });
    return Response.json({ error: { code: 'NOT_FOUND', message: 'no' } }, { status: 404 });
  };
  return { fetch, calls };
}

function fakeTimers() {
  let now = 1_000_000;
  const pending: { at: number; fn: () => void; id: number }[] = [];
  let next = 1;
  const timers: Timers = {
    now: () => now,
    setTimeout: (fn, ms) => {
      const id = next++;
      pending.push({ at: now + ms, fn, id });
      return id;
    },
    clearTimeout: (id) => {
      const i = pending.findIndex((p) => p.id === id);
      if (i >= 0) pending.splice(i, 1);
    },
  };
  return {
    timers,
    pending,
    /** Moves the clock to the next timer and runs it. */
    fireNext() {
      pending.sort((a, b) => a.at - b.at);
      const p = pending.shift();
      if (!p) throw new Error('no timer pending');
      now = p.at;
      p.fn();
      return p.at;
    },
  };
}

const user = { id: 1, username: 'admin', roles: ['admin'], permissions: ['users:read'], mustChangePassword: false };
const session = (token: string, expiresIn = 900) => ({ authenticated: true, accessToken: token, expiresIn, user });
const flush = () => new Promise((r) => setTimeout(r, 0));
const direct = <T>(fn: () => Promise<T>) => fn();

describe('refreshDelayMs', () => {
  it('refreshes a 15-minute token one minute early and a 30-second token 6 s early', () => {
    expect(refreshDelayMs(900)).toBe(840_000);
    expect(refreshDelayMs(30)).toBe(24_000);
    expect(refreshDelayMs(0)).toBe(1_000);
  });
});

describe('session store', () => {
  it('a page load without a session cookie ends anonymous, with no refresh scheduled', async () => {
    const server = fakeServer([{ authenticated: false }]);
    const t = fakeTimers();
    const store = createSessionStore({ fetch: server.fetch, timers: t.timers, baseUrl: 'http://console', withLock: direct });
    expect(store.getState().status).toBe('loading');
    await store.probe();
    expect(store.getState()).toEqual({ status: 'anonymous' });
    expect(t.pending).toHaveLength(0);
  });

  it('refreshes the access token silently before it expires, and keeps doing so', async () => {
    const server = fakeServer([session('a1', 30), session('a2', 30), session('a3', 30)]);
    const t = fakeTimers();
    const store = createSessionStore({ fetch: server.fetch, timers: t.timers, baseUrl: 'http://console', withLock: direct });
    await store.probe();
    expect(store.accessToken()).toBe('a1');
    expect(t.pending.map((p) => p.at - 1_000_000)).toEqual([24_000]);

    t.fireNext();
    await flush();
    expect(store.accessToken()).toBe('a2');
    t.fireNext();
    await flush();
    expect(store.accessToken()).toBe('a3');
    expect(server.calls.filter((c) => c.path === '/api/auth/session')).toHaveLength(3);
  });

  it('when the cookie no longer holds a session, a refresh signs out as expired', async () => {
    const server = fakeServer([session('a1', 30), { authenticated: false }]);
    const t = fakeTimers();
    const store = createSessionStore({ fetch: server.fetch, timers: t.timers, baseUrl: 'http://console', withLock: direct });
    await store.probe();
    expect(await store.refresh()).toBeNull();
    expect(store.getState()).toEqual({ status: 'anonymous', expired: true });
    expect(t.pending).toHaveLength(0);
  });

  it('concurrent refreshes share one request (each rotates the cookie)', async () => {
    const server = fakeServer([session('a1'), session('a2'), session('a3')]);
    const store = createSessionStore({ fetch: server.fetch, timers: fakeTimers().timers, baseUrl: 'http://console', withLock: direct });
    await store.probe();
    const [x, y, z] = await Promise.all([store.refresh(), store.refresh(), store.refresh()]);
    expect([x, y, z]).toEqual(['a2', 'a2', 'a2']);
    expect(server.calls.filter((c) => c.path === '/api/auth/session')).toHaveLength(2);
  });

  it('logout calls the API with the token and forgets it', async () => {
    const server = fakeServer([session('a1')]);
    const t = fakeTimers();
    const store = createSessionStore({ fetch: server.fetch, timers: t.timers, baseUrl: 'http://console', withLock: direct });
    await store.probe();
    await store.logout();
    expect(server.calls.at(-1)).toMatchObject({ path: '/api/auth/logout', auth: 'Bearer a1' });
    expect(store.accessToken()).toBeNull();
    expect(t.pending).toHaveLength(0);
  });
});

describe('authFetch', () => {
  it('on a 401 refreshes once and retries the same request with the new token', async () => {
    const seen: { auth: string | null; body: string; lang: string | null }[] = [];
    const base = async (r: Request) => {
      seen.push({ auth: r.headers.get('authorization'), body: await r.text(), lang: r.headers.get('accept-language') });
      return r.headers.get('authorization') === 'Bearer fresh' ? Response.json({ ok: true }) : Response.json({ error: { code: 'UNAUTHORIZED' } }, { status: 401 });
    };
    let refreshes = 0;
    const session = {
      accessToken: () => 'stale',
      refresh: async () => {
        refreshes++;
        return 'fresh';
      },
    };
    const res = await createAuthFetch(session, () => 'en', base)(new Request('http://console/api/users/', { method: 'POST', body: '{"username":"v"}' }));
    expect(res.status).toBe(200);
    expect(refreshes).toBe(1);
    expect(seen).toEqual([
      { auth: 'Bearer stale', body: '{"username":"v"}', lang: 'en' },
      { auth: 'Bearer fresh', body: '{"username":"v"}', lang: 'en' },
    ]);
  });

  it('gives the 401 back when the session cannot be refreshed, without a loop', async () => {
    let calls = 0;
    const base = async () => {
      calls++;
      return Response.json({ error: { code: 'UNAUTHORIZED' } }, { status: 401 });
    };
    const res = await createAuthFetch({ accessToken: () => 'stale', refresh: async () => null }, () => 'zh-CN', base)(new Request('http://console/api/users/'));
    expect(res.status).toBe(401);
    expect(calls).toBe(1);
  });
});
