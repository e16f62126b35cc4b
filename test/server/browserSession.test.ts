import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

interface Res {
  status: number;
  body: any;
  setCookie: string[];
}

/** Attributes of the one `mcp_refresh` Set-Cookie header of a response. */
function refreshCookie(res: Res): { value: string; attrs: Map<string, string> } | undefined {
  const line = res.setCookie.find((c) => c.startsWith('mcp_refresh='));
  if (!line) return undefined;
  const [pair, ...rest] = line.split(';').map((s) => s.trim());
  const attrs = new Map(rest.map((a) => [a.split('=')[0]!.toLowerCase(), a.split('=').slice(1).join('=')] as [string, string]));
  return { value: pair!.slice('mcp_refresh='.length), attrs };
}

/** Issue 13 item 3: the console's session — refresh token in an httpOnly cookie, access token in memory. */
describe('browser sessions (refresh cookie)', () => {
  let tp: TestPlatform;
  const TTL = 3600;

  beforeAll(async () => {
    tp = await startTestPlatform('embedded', { env: { MCP_REFRESH_TOKEN_TTL: String(TTL), MCP_TRUST_PROXY: 'true' } });
  });
  afterAll(async () => tp?.close());

  async function post(url: string, o: { body?: unknown; cookie?: string; token?: string; headers?: Record<string, string> } = {}): Promise<Res> {
    const res = await tp.app.inject({
      method: 'POST',
      url,
      headers: {
        ...(o.body !== undefined && typeof o.body !== 'string' ? { 'content-type': 'application/json' } : {}),
        ...(o.cookie ? { cookie: `mcp_refresh=${o.cookie}` } : {}),
        ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
        ...o.headers,
      },
      ...(o.body === undefined ? {} : { payload: typeof o.body === 'string' ? o.body : JSON.stringify(o.body) }),
    });
    const raw = res.headers['set-cookie'];
    return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined, setCookie: raw === undefined ? [] : Array.isArray(raw) ? raw : [raw] };
  }
  const cookieLogin = (headers?: Record<string, string>) => post('/api/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD, session: 'cookie' }, headers });

  it('login with session "cookie" sets mcp_refresh (HttpOnly, SameSite=Strict, Path=/api/auth, Max-Age = refresh TTL) and leaves the token out of the body', async () => {
    const res = await cookieLogin();
    expect(res.status).toBe(200);
    expect(res.body.accessToken).toBeTruthy();
    expect(res.body.expiresIn).toBeGreaterThan(0);
    expect(res.body.passwordChangeRequired).toBe(false);
    expect(res.body).not.toHaveProperty('refreshToken');
    const c = refreshCookie(res)!;
    expect(c.value).toMatch(/^[0-9a-f]{32}\.[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(res.body)).not.toContain(c.value);
    expect(c.attrs.has('httponly')).toBe(true);
    expect(c.attrs.get('samesite')).toBe('Strict');
    expect(c.attrs.get('path')).toBe('/api/auth');
    expect(c.attrs.get('max-age')).toBe(String(TTL));
    expect(c.attrs.has('secure')).toBe(false); // plain HTTP
  });

  it('over TLS (X-Forwarded-Proto: https from a trusted proxy) the cookie is Secure', async () => {
    const res = await cookieLogin({ 'x-forwarded-proto': 'https' });
    expect(refreshCookie(res)!.attrs.has('secure')).toBe(true);
  });

  it('without session "cookie" login is as before: the refresh token in the body, no cookie', async () => {
    const res = await post('/api/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD } });
    expect(res.status).toBe(200);
    expect(res.body.refreshToken).toMatch(/^[0-9a-f]{32}\./);
    expect(res.setCookie).toEqual([]);
  });

  it('the session probe without a cookie is 200 {authenticated:false}; with a bad cookie it also clears it', async () => {
    const none = await post('/api/auth/session', { body: {} });
    expect(none.status).toBe(200);
    expect(none.body).toEqual({ authenticated: false });
    const bad = await post('/api/auth/session', { body: {}, cookie: 'garbage' });
    expect(bad.status).toBe(200);
    expect(bad.body).toEqual({ authenticated: false });
    expect(refreshCookie(bad)!.value).toBe('');
  });

  it('the probe rotates the cookie and returns the user with an access token that works; the old cookie is spent', async () => {
    const first = refreshCookie(await cookieLogin())!.value;
    const probe = await post('/api/auth/session', { body: {}, cookie: first });
    expect(probe.status).toBe(200);
    expect(probe.body).toMatchObject({ authenticated: true, tokenType: 'Bearer', user: { username: 'admin', roles: ['admin'], mustChangePassword: false } });
    expect(probe.body.user.permissions).toContain('users:write');
    expect(probe.body).not.toHaveProperty('refreshToken');
    const second = refreshCookie(probe)!;
    expect(second.value).not.toBe(first);
    expect(second.attrs.has('httponly')).toBe(true);
    const me = await tp.request({ method: 'GET', url: '/api/auth/me', token: probe.body.accessToken });
    expect(me.status).toBe(200);
    expect(me.body.username).toBe('admin');
    // /refresh takes the cookie too when the body has no token
    const refreshed = await post('/api/auth/refresh', { body: {}, cookie: second.value });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.accessToken).toBeTruthy();
    expect(refreshed.body).not.toHaveProperty('refreshToken');
    expect(refreshCookie(refreshed)!.value).not.toBe(second.value);
  });

  it('reusing a spent cookie ends the whole session (reuse detection), audited; the probe then says authenticated:false', async () => {
    const first = refreshCookie(await cookieLogin())!.value;
    const rotated = await post('/api/auth/session', { body: {}, cookie: first });
    const current = refreshCookie(rotated)!.value;
    const access = rotated.body.accessToken;
    const replay = await post('/api/auth/session', { body: {}, cookie: first });
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual({ authenticated: false });
    expect(refreshCookie(replay)!.value).toBe('');
    // the legitimate holder's cookie and access token are dead too
    expect((await post('/api/auth/session', { body: {}, cookie: current })).body).toEqual({ authenticated: false });
    expect((await tp.request({ method: 'GET', url: '/api/auth/me', token: access })).status).toBe(401);
    const admin = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
    const audit = await tp.request({ method: 'GET', url: '/api/system/audit-logs?action=auth.refresh&result=failure', token: admin });
    expect(audit.body.items.some((i: { details: { reason?: string } | null }) => i.details?.reason === 'reuse-detected')).toBe(true);
  });

  it('logout with only the cookie revokes its session and clears the cookie; with bearer and cookie both go', async () => {
    const login = await cookieLogin();
    const cookie = refreshCookie(login)!.value;
    const out = await post('/api/auth/logout', { body: {}, cookie });
    expect(out.status).toBe(204);
    const cleared = refreshCookie(out)!;
    expect(cleared.value).toBe('');
    expect(cleared.attrs.get('path')).toBe('/api/auth');
    expect(cleared.attrs.get('expires') ?? cleared.attrs.get('max-age')).toBeTruthy();
    expect((await tp.request({ method: 'GET', url: '/api/auth/me', token: login.body.accessToken })).status).toBe(401);
    expect((await post('/api/auth/session', { body: {}, cookie })).body).toEqual({ authenticated: false });

    const again = await cookieLogin();
    const out2 = await post('/api/auth/logout', { body: {}, cookie: refreshCookie(again)!.value, token: again.body.accessToken });
    expect(out2.status).toBe(204);
    expect(refreshCookie(out2)!.value).toBe('');
    expect((await tp.request({ method: 'GET', url: '/api/auth/me', token: again.body.accessToken })).status).toBe(401);
  });

  it('a cookie login from a browser that still holds a session ends that session (its cookie is replaced)', async () => {
    const first = await cookieLogin();
    const old = refreshCookie(first)!.value;
    const second = await post('/api/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD, session: 'cookie' }, cookie: old });
    expect(second.status).toBe(200);
    expect(refreshCookie(second)!.value).not.toBe(old);
    expect((await tp.request({ method: 'GET', url: '/api/auth/me', token: first.body.accessToken })).status).toBe(401);
    expect((await tp.request({ method: 'GET', url: '/api/auth/me', token: second.body.accessToken })).status).toBe(200);
  });

  it('bearer logout without a cookie is unchanged (CLI, scripts): 204, and 401 without any credential', async () => {
    const s = await tp.login('admin', ADMIN_PASSWORD);
    expect((await post('/api/auth/logout', { token: s.accessToken })).status).toBe(204);
    expect((await post('/api/auth/logout')).status).toBe(401);
  });

  it('CSRF: a request carrying the cookie must be application/json — form and text posts get 415 and change nothing', async () => {
    const cookie = refreshCookie(await cookieLogin())!.value;
    const form = await post('/api/auth/logout', { cookie, body: 'a=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(415);
    const text = await post('/api/auth/session', { cookie, body: '{}', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
    expect(text.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const noType = await post('/api/auth/refresh', { cookie });
    expect(noType.status).toBe(415);
    // the session survived all three
    const ok = await post('/api/auth/session', { body: {}, cookie });
    expect(ok.body.authenticated).toBe(true);
  });
});
