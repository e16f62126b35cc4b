import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSplitPlatform } from '../support/splitPlatform.js';
import { ADMIN_PASSWORD, type ApiPlatform, type Backend, BACKENDS, startTestPlatform } from '../support/testPlatform.js';

/**
 * The platform's API as a user meets it, run the same way on the embedded default (SQLite,
 * memory cache, in-process bus) and on the real services (MariaDB, Redis, RabbitMQ) — each in one
 * process, and split (issue 14): one `serve --only` process per module behind the nginx gateway,
 * the modules calling each other over HTTP (`npm run build` first).
 */
const VARIANTS: { name: string; backend: Backend; split: boolean }[] = [
  ...BACKENDS.map((backend) => ({ name: backend, backend, split: false })),
  ...BACKENDS.map((backend) => ({ name: `${backend}, split behind nginx`, backend, split: true })),
];
class TestClock {
  t = Date.now();
  now = () => new Date(this.t);
  advance(seconds: number) {
    this.t += seconds * 1000;
  }
}

describe.each(VARIANTS)('platform API on $name', ({ backend, split }) => {
  let tp: ApiPlatform;
  const clock = new TestClock();
  let admin: string;
  // the split modules are processes of their own on the real clock: what happens once a lock or
  // a token has expired is the same code, checked on the in-process variants
  const start = (env: Record<string, string>): Promise<ApiPlatform> => (split ? startSplitPlatform(backend, { env }) : startTestPlatform(backend, { clock, env }));

  beforeAll(async () => {
    tp = await start({ MCP_LOGIN_MAX_FAILURES: '3', MCP_LOGIN_LOCKOUT: '600' });
    admin = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
  }, 60_000);
  afterAll(async () => tp?.close());

  const userCount = async () =>
    Number(
      (
        await tp.platform.database.db
          .selectFrom('users')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const auditCount = async () =>
    Number(
      (
        await tp.platform.database.db
          .selectFrom('audit_log')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  async function createUser(username: string, roles: string[] = ['viewer'], password = 'Str0ng-Pass!') {
    const res = await tp.request({ method: 'POST', url: '/api/users', token: admin, body: { username, email: `${username}@example.com`, password, roles } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: number; username: string; roles: string[] };
  }

  it('first start: a generated admin password is one-time and must be changed before anything else', async () => {
    const { issued } = await (async () => {
      const { ensureFirstAdmin } = await import('../../src/services/user/adminAccounts.js');
      return { issued: await ensureFirstAdmin(tp.platform) };
    })();
    expect(issued).toBeUndefined(); // users exist: no second admin
    const reset = await (await import('../../src/services/user/adminAccounts.js')).createAdmin(tp.platform, 'root2', undefined);
    expect(reset.oneTime).toBe(true);
    expect(reset.password).toMatch(/^.{20}$/);
    const session = await tp.login('root2', reset.password);
    expect(session.passwordChangeRequired).toBe(true);
    const blocked = await tp.request({ method: 'GET', url: '/api/users', token: session.accessToken });
    expect(blocked.status).toBe(403);
    expect(blocked.body.error.code).toBe('PASSWORD_CHANGE_REQUIRED');
    const changed = await tp.request({
      method: 'POST',
      url: '/api/auth/password',
      token: session.accessToken,
      body: { currentPassword: reset.password, newPassword: 'N3w-Admin-Pass!' },
    });
    expect(changed.status).toBe(204);
    const again = await tp.login('root2', 'N3w-Admin-Pass!');
    expect(again.passwordChangeRequired).toBe(false);
    expect((await tp.request({ method: 'GET', url: '/api/users', token: again.accessToken })).status).toBe(200);
  });

  it('admin creates a viewer; the viewer reads but is refused (403) on admin routes, and the refusal is audited', async () => {
    const viewer = await createUser('viewer1');
    expect(viewer.roles).toEqual(['viewer']);
    const v = await tp.login('viewer1', 'Str0ng-Pass!');
    expect((await tp.request({ method: 'GET', url: `/api/users/${viewer.id}`, token: v.accessToken })).status).toBe(200);
    const before = await userCount();
    const denied = await tp.request({ method: 'POST', url: '/api/users', token: v.accessToken, body: { username: 'sneaky', email: 's@example.com', password: 'Str0ng-Pass!' } });
    expect(denied.status).toBe(403);
    expect(denied.body.error).toMatchObject({ code: 'FORBIDDEN', details: { required: 'users:write' } });
    expect(await userCount()).toBe(before);
    expect((await tp.request({ method: 'GET', url: '/api/system/audit-logs', token: v.accessToken })).status).toBe(403);
    const log = await tp.request({ method: 'GET', url: '/api/system/audit-logs?action=access.denied', token: admin });
    // reads refused are audited too (newest first)
    expect(log.body.items[0]).toMatchObject({ actor: 'viewer1', result: 'denied', target: 'GET /api/system/audit-logs' });
    expect(log.body.items[1]).toMatchObject({ actor: 'viewer1', result: 'denied', target: 'POST /api/users' });
  });

  it('users: unique username and email (case-insensitive), pagination, search, update, delete', async () => {
    await createUser('Carol');
    const dupName = await tp.request({ method: 'POST', url: '/api/users', token: admin, body: { username: 'CAROL', email: 'other@example.com', password: 'Str0ng-Pass!' } });
    expect(dupName.status).toBe(409);
    expect(dupName.body.error.details).toEqual({ field: 'username' });
    const dupMail = await tp.request({ method: 'POST', url: '/api/users', token: admin, body: { username: 'carol2', email: 'Carol@Example.com', password: 'Str0ng-Pass!' } });
    expect(dupMail.status).toBe(409);
    expect(dupMail.body.error.details).toEqual({ field: 'email' });

    for (const n of ['page_a', 'page_b', 'page_c']) await createUser(n);
    const page = await tp.request({ method: 'GET', url: '/api/users?search=page_&pageSize=2&page=2', token: admin });
    expect(page.status).toBe(200);
    expect(page.body.total).toBe(3);
    expect(page.body.items.map((u: { username: string }) => u.username)).toEqual(['page_c']);

    const carol = (await tp.request({ method: 'GET', url: '/api/users?search=carol', token: admin })).body.items[0];
    const upd = await tp.request({ method: 'PATCH', url: `/api/users/${carol.id}`, token: admin, body: { displayName: '卡罗尔', roles: ['ops'] } });
    expect(upd.status).toBe(200);
    expect(upd.body).toMatchObject({ displayName: '卡罗尔', roles: ['ops'] });
    // the cached read sees the change at once
    expect((await tp.request({ method: 'GET', url: `/api/users/${carol.id}`, token: admin })).body.displayName).toBe('卡罗尔');

    expect((await tp.request({ method: 'DELETE', url: `/api/users/${carol.id}`, token: admin })).status).toBe(204);
    expect((await tp.request({ method: 'GET', url: `/api/users/${carol.id}`, token: admin })).status).toBe(404);
  });

  it('the last administrator cannot be removed, disabled or demoted', async () => {
    const me = (await tp.request({ method: 'GET', url: '/api/auth/me', token: admin })).body;
    expect((await tp.request({ method: 'DELETE', url: `/api/users/${me.id}`, token: admin })).status).toBe(403);
    const root2 = (await tp.request({ method: 'GET', url: '/api/users?search=root2', token: admin })).body.items[0];
    // two admins (admin, root2): demoting root2 is fine, then admin is the last one
    expect((await tp.request({ method: 'PATCH', url: `/api/users/${root2.id}`, token: admin, body: { roles: ['viewer'] } })).status).toBe(200);
    const other = await tp.login('root2', 'N3w-Admin-Pass!');
    const demote = await tp.request({ method: 'PATCH', url: `/api/users/${me.id}`, token: admin, body: { roles: ['ops'] } });
    expect(demote.status).toBe(409);
    expect((await tp.request({ method: 'GET', url: '/api/users', token: other.accessToken })).status).toBe(200);
  });

  it('refresh tokens rotate; reusing an old one ends the whole session', async () => {
    await createUser('rotator');
    const s1 = await tp.login('rotator', 'Str0ng-Pass!');
    const r2 = await tp.request({ method: 'POST', url: '/api/auth/refresh', body: { refreshToken: s1.refreshToken } });
    expect(r2.status).toBe(200);
    expect(r2.body.refreshToken).not.toBe(s1.refreshToken);
    const r3 = await tp.request({ method: 'POST', url: '/api/auth/refresh', body: { refreshToken: r2.body.refreshToken } });
    expect(r3.status).toBe(200);
    // an attacker replays the first token
    const replay = await tp.request({ method: 'POST', url: '/api/auth/refresh', body: { refreshToken: s1.refreshToken } });
    expect(replay.status).toBe(401);
    // the legitimate holder's newest tokens are dead too
    expect((await tp.request({ method: 'POST', url: '/api/auth/refresh', body: { refreshToken: r3.body.refreshToken } })).status).toBe(401);
    expect((await tp.request({ method: 'GET', url: '/api/auth/me', token: r3.body.accessToken })).status).toBe(401);
    const audit = await tp.request({ method: 'GET', url: '/api/system/audit-logs?action=auth.refresh&result=failure', token: admin });
    expect(audit.body.items[0].details).toEqual({ reason: 'reuse-detected' });
  });

  it('logout revokes the access token at once', async () => {
    await createUser('leaver');
    const s = await tp.login('leaver', 'Str0ng-Pass!');
    expect((await tp.request({ method: 'GET', url: '/api/auth/me', token: s.accessToken })).status).toBe(200);
    expect((await tp.request({ method: 'POST', url: '/api/auth/logout', token: s.accessToken })).status).toBe(204);
    const after = await tp.request({ method: 'GET', url: '/api/auth/me', token: s.accessToken });
    expect(after.status).toBe(401);
    expect(after.body.error.details).toEqual({ reason: 'revoked' });
    expect((await tp.request({ method: 'POST', url: '/api/auth/refresh', body: { refreshToken: s.refreshToken } })).status).toBe(401);
  });

  it('repeated failed logins lock the account; the login log records every attempt', async () => {
    await createUser('victim');
    for (let i = 0; i < 3; i++) {
      expect((await tp.request({ method: 'POST', url: '/api/auth/login', body: { username: 'victim', password: 'wrong-guess' } })).status).toBe(401);
    }
    const locked = await tp.request({ method: 'POST', url: '/api/auth/login', body: { username: 'victim', password: 'Str0ng-Pass!' } });
    expect(locked.status).toBe(423);
    expect(locked.body.error.code).toBe('LOCKED');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(500);
    const rows = await tp.platform.database.db.selectFrom('login_log').select(['success', 'reason']).where('username', '=', 'victim').orderBy('id').execute();
    expect(rows.map((r) => r.reason)).toEqual(['bad-password', 'bad-password', 'bad-password-locked', 'locked']);
    if (split) return;
    clock.advance(601);
    admin = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
    expect((await tp.request({ method: 'POST', url: '/api/auth/login', body: { username: 'victim', password: 'Str0ng-Pass!' } })).status).toBe(200);
  });

  it('too many failed logins from one address are rate limited', async () => {
    const limited = await start({ MCP_LOGIN_IP_FAILURES_PER_MINUTE: '4' });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await limited.request({ method: 'POST', url: '/api/auth/login', body: { username: `nobody${i}`, password: 'x' } })).status);
      expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
    } finally {
      await limited.close();
    }
  }, 60_000);

  it('expired, forged and malformed tokens are refused with 401', async () => {
    const s = await tp.login('admin', ADMIN_PASSWORD);
    const forged = s.accessToken.slice(0, -4) + (s.accessToken.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    for (const token of [forged, 'not-a-jwt', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.']) {
      const res = await tp.request({ method: 'GET', url: '/api/users', token });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHORIZED');
    }
    expect((await tp.request({ method: 'GET', url: '/api/users' })).status).toBe(401);
    if (split) return;
    clock.advance(901);
    const expired = await tp.request({ method: 'GET', url: '/api/users', token: s.accessToken });
    expect(expired.status).toBe(401);
    expect(expired.body.error.details).toEqual({ reason: 'expired' });
    admin = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
  });

  it('bad input gets a clear 4xx with the stable error body and changes nothing', async () => {
    const users = await userCount();
    const cases: { body: unknown; status: number; code: string }[] = [
      { body: '{"username": "x",', status: 400, code: 'INVALID' }, // malformed JSON
      { body: { username: 'okname', email: 'ok@example.com', password: 12345678 }, status: 400, code: 'INVALID' }, // wrong type
      { body: { username: 'okname', email: 'ok@example.com', password: 'Str0ng-Pass!', isAdmin: true }, status: 400, code: 'INVALID' }, // unknown field
      { body: { username: "x' OR '1'='1", email: 'ok@example.com', password: 'Str0ng-Pass!' }, status: 400, code: 'INVALID' }, // injection
      { body: { username: 'okname', email: 'not-an-email', password: 'Str0ng-Pass!' }, status: 400, code: 'INVALID' },
      { body: { username: 'okname', email: 'ok@example.com', password: 'short' }, status: 400, code: 'INVALID' }, // policy
      { body: { username: 'okname', email: 'ok@example.com', password: 'Str0ng-Pass!', roles: ['superuser'] }, status: 400, code: 'INVALID' },
      { body: { username: 'okname', email: 'ok@example.com', password: 'x'.repeat(2_000_000) }, status: 413, code: 'PAYLOAD_TOO_LARGE' },
    ];
    for (const c of cases) {
      const res = await tp.request({ method: 'POST', url: '/api/users', token: admin, body: c.body });
      expect(res.status, JSON.stringify(res.body).slice(0, 200)).toBe(c.status);
      expect(res.body.error.code).toBe(c.code);
      expect(typeof res.body.error.message).toBe('string');
    }
    const search = await tp.request({ method: 'GET', url: `/api/users?search=${encodeURIComponent("%' OR 1=1 --")}`, token: admin });
    expect(search.status).toBe(200);
    expect(search.body.total).toBe(0);
    expect((await tp.request({ method: 'GET', url: '/api/users/0', token: admin })).status).toBe(400);
    expect((await tp.request({ method: 'GET', url: '/api/users/abc', token: admin })).status).toBe(400);
    expect((await tp.request({ method: 'GET', url: '/api/users?pageSize=1000', token: admin })).status).toBe(400);
    expect((await tp.request({ method: 'GET', url: '/api/nope', token: admin })).body.error.code).toBe('NOT_FOUND');
    const asText = await tp.request({ method: 'POST', url: '/api/auth/login', body: undefined, headers: { 'content-type': 'text/plain' } });
    expect([400, 415]).toContain(asText.status);
    expect(await userCount()).toBe(users);
  });

  it('settings are stored, read back and every change is audited with its old value', async () => {
    const put = await tp.request({ method: 'PUT', url: '/api/system/settings/alert.cpu_threshold', token: admin, body: { value: 80 } });
    expect(put.status).toBe(200);
    await tp.request({ method: 'PUT', url: '/api/system/settings/alert.cpu_threshold', token: admin, body: { value: 85 } });
    expect((await tp.request({ method: 'GET', url: '/api/system/settings/alert.cpu_threshold', token: admin })).body.value).toBe(85);
    const log = await tp.request({ method: 'GET', url: '/api/system/audit-logs?action=setting.set', token: admin });
    expect(log.body.items[0].details).toEqual({ before: 80, after: 85 });
    expect((await tp.request({ method: 'PUT', url: '/api/system/settings/Bad Name', token: admin, body: { value: 1 } })).status).toBe(400);
  });

  it('custom roles grant exactly their permissions; built-in roles cannot be edited', async () => {
    const role = await tp.request({ method: 'POST', url: '/api/roles', token: admin, body: { name: 'auditor', permissions: ['audit:read'] } });
    expect(role.status).toBe(201);
    const aud = await createUser('auditor1', ['auditor']);
    const s = await tp.login(aud.username, 'Str0ng-Pass!');
    expect((await tp.request({ method: 'GET', url: '/api/system/audit-logs', token: s.accessToken })).status).toBe(200);
    expect((await tp.request({ method: 'GET', url: '/api/users', token: s.accessToken })).status).toBe(403);
    // granting users:read takes effect without logging in again
    expect((await tp.request({ method: 'PATCH', url: `/api/roles/${role.body.id}`, token: admin, body: { permissions: ['audit:read', 'users:read'] } })).status).toBe(200);
    expect((await tp.request({ method: 'GET', url: '/api/users', token: s.accessToken })).status).toBe(200);
    const roles = (await tp.request({ method: 'GET', url: '/api/roles', token: admin })).body.items;
    const viewerRole = roles.find((r: { name: string }) => r.name === 'viewer');
    expect((await tp.request({ method: 'PATCH', url: `/api/roles/${viewerRole.id}`, token: admin, body: { permissions: ['users:write'] } })).status).toBe(409);
    expect((await tp.request({ method: 'POST', url: '/api/roles', token: admin, body: { name: 'bad', permissions: ['root:all'] } })).status).toBe(400);
  });

  it('the audit log chain verifies, and an edited or deleted row is detected', async () => {
    const ok = await tp.request({ method: 'GET', url: '/api/system/audit-logs/verify', token: admin });
    expect(ok.body).toMatchObject({ ok: true, problems: [] });
    expect(ok.body.checked).toBe(await auditCount());
    const { db } = tp.platform.database;
    const victim = await db.selectFrom('audit_log').select(['seq', 'result']).where('action', '=', 'user.create').orderBy('seq').executeTakeFirstOrThrow();
    await sql`update audit_log set actor = 'nobody' where seq = ${victim.seq}`.execute(db);
    const edited = await tp.request({ method: 'GET', url: '/api/system/audit-logs/verify', token: admin });
    expect(edited.body.ok).toBe(false);
    expect(edited.body.problems[0]).toMatchObject({ seq: Number(victim.seq), problem: 'edited' });
    await sql`delete from audit_log where seq = ${victim.seq}`.execute(db);
    const deleted = await tp.platform.audit.verify();
    expect(deleted.problems[0]).toMatchObject({ problem: 'missing', seq: Number(victim.seq) });
  });
});
