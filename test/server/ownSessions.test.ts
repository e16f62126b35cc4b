import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

/** 个人中心 (issue 13): a user sees their own active sessions and can end one — and only their own. */
describe('own sessions', () => {
  let tp: TestPlatform;
  beforeAll(async () => {
    tp = await startTestPlatform('embedded');
  });
  afterAll(async () => tp?.close());

  const login = async (username: string, password: string, userAgent: string) => {
    const res = await tp.request({ method: 'POST', url: '/api/auth/login', body: { username, password }, headers: { 'user-agent': userAgent } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body as { accessToken: string; refreshToken: string };
  };

  it('lists the caller’s active sessions, one per session however often it was refreshed, the current one marked', async () => {
    const a = await login('admin', ADMIN_PASSWORD, 'Browser A');
    const b = await login('admin', ADMIN_PASSWORD, 'Script B');
    const refreshed = await tp.request({ method: 'POST', url: '/api/auth/refresh', body: { refreshToken: b.refreshToken }, headers: { 'user-agent': 'Script B/2' } });
    expect(refreshed.status).toBe(200);
    const res = await tp.request({ method: 'GET', url: '/api/auth/sessions', token: a.accessToken });
    expect(res.status).toBe(200);
    const mine = res.body.items as { id: string; current: boolean; userAgent: string | null; startedAt: string; lastRefreshedAt: string }[];
    const current = mine.filter((s) => s.current);
    expect(current).toHaveLength(1);
    expect(current[0]?.userAgent).toBe('Browser A');
    const script = mine.filter((s) => s.userAgent?.startsWith('Script B'));
    expect(script).toHaveLength(1);
    expect(script[0]).toMatchObject({ userAgent: 'Script B/2', current: false });
    expect(script[0]!.lastRefreshedAt >= script[0]!.startedAt).toBe(true);
    expect(JSON.stringify(res.body)).not.toContain(b.refreshToken);
  });

  it('ends one of its own sessions: that token stops working at once, the caller’s goes on, audited', async () => {
    const a = await login('admin', ADMIN_PASSWORD, 'Browser A');
    const b = await login('admin', ADMIN_PASSWORD, 'Browser B');
    const list = (await tp.request({ method: 'GET', url: '/api/auth/sessions', token: a.accessToken })).body.items as { id: string; current: boolean }[];
    const meB = await tp.request({ method: 'GET', url: '/api/auth/sessions', token: b.accessToken });
    const idB = (meB.body.items as { id: string; current: boolean }[]).find((s) => s.current)!.id;
    expect(list.some((s) => s.id === idB)).toBe(true);
    const end = await tp.request({ method: 'DELETE', url: `/api/auth/sessions/${idB}`, token: a.accessToken });
    expect(end.status).toBe(204);
    expect((await tp.request({ method: 'GET', url: '/api/auth/me', token: b.accessToken })).status).toBe(401);
    expect((await tp.request({ method: 'POST', url: '/api/auth/refresh', body: { refreshToken: b.refreshToken } })).status).toBe(401);
    expect((await tp.request({ method: 'GET', url: '/api/auth/me', token: a.accessToken })).status).toBe(200);
    const audit = await tp.request({ method: 'GET', url: '/api/system/audit-logs?action=auth.session.end', token: a.accessToken });
    expect(audit.body.items[0]).toMatchObject({ actor: 'admin', action: 'auth.session.end', target: `session:${idB}`, result: 'success' });
    // ended already: nothing to end
    expect((await tp.request({ method: 'DELETE', url: `/api/auth/sessions/${idB}`, token: a.accessToken })).status).toBe(404);
  });

  it('another user cannot end (or see) someone else’s session: 404, and that session goes on', async () => {
    const admin = await login('admin', ADMIN_PASSWORD, 'Browser A');
    const created = await tp.request({
      method: 'POST',
      url: '/api/users',
      token: admin.accessToken,
      body: { username: 'sessviewer', email: 'sessviewer@example.com', password: 'Sess-Viewer-2026!', roles: ['viewer'], mustChangePassword: false },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const viewer = await login('sessviewer', 'Sess-Viewer-2026!', 'Viewer');
    const adminId = (await tp.request({ method: 'GET', url: '/api/auth/sessions', token: admin.accessToken })).body.items.find((s: { current: boolean }) => s.current).id;
    const seen = await tp.request({ method: 'GET', url: '/api/auth/sessions', token: viewer.accessToken });
    expect(seen.body.items.map((s: { id: string }) => s.id)).not.toContain(adminId);
    expect((await tp.request({ method: 'DELETE', url: `/api/auth/sessions/${adminId}`, token: viewer.accessToken })).status).toBe(404);
    expect((await tp.request({ method: 'GET', url: '/api/auth/me', token: admin.accessToken })).status).toBe(200);
    expect((await tp.request({ method: 'DELETE', url: '/api/auth/sessions/..%2F..', token: viewer.accessToken })).status).toBe(400);
    expect((await tp.request({ method: 'GET', url: '/api/auth/sessions' })).status).toBe(401);
  });
});
