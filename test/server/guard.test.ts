import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, BACKENDS, startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

/**
 * The guard in front of every /api route: authentication before anything about the request is
 * examined, every permission refusal audited, and maintenance mode decided by the matched route.
 */
describe.each(BACKENDS)('request guard on %s backend', (backend) => {
  let tp: TestPlatform;
  let admin: string;
  let viewer: string;

  beforeAll(async () => {
    tp = await startTestPlatform(backend);
    admin = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
    const created = await tp.request({
      method: 'POST',
      url: '/api/users',
      token: admin,
      body: { username: 'guardviewer', email: 'gv@example.com', password: 'Str0ng-Pass!', roles: ['viewer'] },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    viewer = (await tp.login('guardviewer', 'Str0ng-Pass!')).accessToken;
  });
  afterAll(async () => tp?.close());

  const denials = async () => (await tp.platform.audit.list({ page: 1, pageSize: 200, action: 'access.denied' })).items;

  it('a request without a valid token gets 401 before its body, params or media type are looked at', async () => {
    for (const req of [
      { method: 'POST' as const, url: '/api/users', body: { nope: 1 } },
      { method: 'POST' as const, url: '/api/users', body: '{"broken' },
      { method: 'POST' as const, url: '/api/users', body: 'x', headers: { 'content-type': 'text/plain' } },
      { method: 'PUT' as const, url: '/api/system/settings/Bad%20Name!', body: {} },
      { method: 'GET' as const, url: '/api/system/audit-logs?page=zero' },
    ]) {
      for (const token of [undefined, 'not-a-token']) {
        const res = await tp.request({ ...req, token });
        expect(res.status, `${req.method} ${req.url} ${JSON.stringify(res.body)}`).toBe(401);
        expect(res.body.error.code).toBe('UNAUTHORIZED');
      }
    }
  });

  it('an authenticated caller without the permission gets 403 whatever it sent, and the refusal is audited (reads too)', async () => {
    const before = (await denials()).length;
    const post = await tp.request({ method: 'POST', url: '/api/users', token: viewer, body: { nope: 1 } });
    expect(post.status).toBe(403);
    expect(post.body.error).toMatchObject({ code: 'FORBIDDEN', details: { required: 'users:write' } });
    const read = await tp.request({ method: 'GET', url: '/api/system/audit-logs?page=zero', token: viewer });
    expect(read.status).toBe(403);
    const rows = await denials();
    expect(rows.length).toBe(before + 2);
    expect(rows[0]).toMatchObject({ actor: 'guardviewer', result: 'denied', target: 'GET /api/system/audit-logs', details: { required: 'audit:read' } });
    expect(rows[1]).toMatchObject({ actor: 'guardviewer', result: 'denied', target: 'POST /api/users', details: { required: 'users:write' } });
  });

  it('a refusal a handler decides from the input (live restore without ops:restore-live) is audited too', async () => {
    const created = await tp.request({
      method: 'POST',
      url: '/api/users',
      token: admin,
      body: { username: 'guardops', email: 'go@example.com', password: 'Str0ng-Pass!', roles: ['ops'] },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const ops = (await tp.login('guardops', 'Str0ng-Pass!')).accessToken;
    const res = await tp.request({ method: 'POST', url: '/api/ops/restores', token: ops, body: { backup: 'latest', force: true } });
    expect(res.status).toBe(403);
    expect(res.body.error.details).toMatchObject({ required: 'ops:restore-live' });
    expect((await denials())[0]).toMatchObject({ actor: 'guardops', result: 'denied', target: 'POST /api/ops/restores', details: { required: 'ops:restore-live' } });
  });

  it('maintenance: a write under an encoded /api path gets 503 and changes nothing; sessions still start; reads go on', async () => {
    const put = (url: string, value: unknown) => tp.request({ method: 'PUT', url, token: admin, body: { value } });
    expect((await put('/api/system/settings/guard.x', 'before')).status).toBe(200);
    await tp.platform.maintenance.enter('restore of test-backup');
    try {
      for (const url of ['/%61pi/system/settings/guard.x', '/api/system/settings/guard.x', '/api/system/settings/guard%2Ex', '/%61%70%69/system/settings/guard.x']) {
        const res = await put(url, 'during');
        expect(res.status, `${url} ${JSON.stringify(res.body)}`).toBe(503);
        expect(res.body.error.code).toBe('MAINTENANCE');
      }
      const del = await tp.request({ method: 'DELETE', url: '/%61pi/system/settings/guard.x', token: admin });
      expect(del.status).toBe(503);
      const login = await tp.request({ method: 'POST', url: '/%61pi/auth/login', body: { username: 'admin', password: ADMIN_PASSWORD } });
      expect(login.status).toBe(200);
      const get = await tp.request({ method: 'GET', url: '/%61pi/system/settings/guard.x', token: admin });
      expect(get.status).toBe(200);
      expect(get.body.value).toBe('before');
    } finally {
      await tp.platform.maintenance.exit();
    }
    const row = await tp.platform.database.db.selectFrom('settings').select('value').where('name', '=', 'guard.x').executeTakeFirstOrThrow();
    expect(JSON.parse(row.value)).toBe('before');
    expect((await put('/%61pi/system/settings/guard.x', 'after')).status).toBe(200);
  });
});
