import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, BACKENDS, startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

/**
 * Issue 9 A4 and D8 over the API: parallel requests cannot beat the lockout, the per-address
 * limit or the last-administrator guard; unknown and disabled accounts answer like a wrong
 * password; refusals are in the login log and the audit log; token responses are not cached.
 */
describe.each(BACKENDS)('login races on %s backend', (backend) => {
  let tp: TestPlatform;
  let admin: string;
  const PASSWORD = 'Str0ng-Pass!';
  const MAX = 5;

  beforeAll(async () => {
    tp = await startTestPlatform(backend, { env: { MCP_LOGIN_MAX_FAILURES: String(MAX), MCP_LOGIN_LOCKOUT: '600', MCP_LOGIN_IP_FAILURES_PER_MINUTE: '100000' } });
    admin = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
  });
  afterAll(async () => tp?.close());

  const db = () => tp.platform.database.db;
  async function user(username: string, roles = ['viewer']) {
    const res = await tp.request({ method: 'POST', url: '/api/users', token: admin, body: { username, email: `${username}@example.com`, password: PASSWORD, roles } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: number };
  }
  const attempt = (username: string, password = 'Wr0ng-Guess!') => tp.request({ method: 'POST', url: '/api/auth/login', body: { username, password } });
  const count = (statuses: number[], s: number) => statuses.filter((x) => x === s).length;
  const reasons = async (username: string) => {
    const rows = await db().selectFrom('login_log').select('reason').where('username', '=', username).execute();
    const out: Record<string, number> = {};
    for (const r of rows) out[r.reason] = (out[r.reason] ?? 0) + 1;
    return out;
  };

  it('60 parallel wrong passwords: at most maxFailedLogins are checked (401), the rest are refused (429 while those are checked, 423 once locked), logged and audited', async () => {
    await user('target');
    const statuses = (await Promise.all(Array.from({ length: 60 }, () => attempt('target')))).map((r) => r.status);
    expect(count(statuses, 401)).toBe(MAX);
    expect(count(statuses, 423) + count(statuses, 429)).toBe(60 - MAX);
    expect((await attempt('target', PASSWORD)).status).toBe(423); // the lock holds for the right password too
    const r = await reasons('target');
    expect(r['bad-password']).toBe(MAX - 1);
    expect(r['bad-password-locked']).toBe(1);
    expect((r.locked ?? 0) + (r.busy ?? 0)).toBe(60 - MAX + 1);
    const audited = await db()
      .selectFrom('audit_log')
      .select('details')
      .where('action', '=', 'auth.login')
      .where('target', '=', 'user:target')
      .where('result', '=', 'failure')
      .execute();
    expect(audited.filter((a) => ['locked', 'busy'].includes(JSON.parse(a.details ?? '{}').reason)).length).toBe(60 - MAX + 1);
  });

  it('parallel sign-ins with the right password never lock the account; the ones beyond the limit are told to retry', async () => {
    await user('busy1');
    const statuses = (await Promise.all(Array.from({ length: 12 }, () => attempt('busy1', PASSWORD)))).map((r) => r.status);
    expect(count(statuses, 200)).toBeGreaterThanOrEqual(MAX);
    expect(count(statuses, 200) + count(statuses, 429)).toBe(12);
    expect((await attempt('busy1', PASSWORD)).status).toBe(200); // no lock was set
  });

  it('60 parallel failed logins from one address: at most the per-minute limit are checked, the rest get 429, logged and audited', async () => {
    const limited = await startTestPlatform(backend, { env: { MCP_LOGIN_IP_FAILURES_PER_MINUTE: '10' } });
    try {
      const statuses = (
        await Promise.all(
          Array.from({ length: 60 }, (_, i) => limited.request({ method: 'POST', url: '/api/auth/login', body: { username: `sprayed${i}`, password: 'Wr0ng-Guess!' } })),
        )
      ).map((r) => r.status);
      expect(count(statuses, 401)).toBe(10);
      expect(count(statuses, 429)).toBe(50);
      const ldb = limited.platform.database.db;
      const logged = await ldb.selectFrom('login_log').select('reason').where('reason', '=', 'rate-limited').execute();
      expect(logged.length).toBe(50);
      const audited = await ldb.selectFrom('audit_log').select('details').where('action', '=', 'auth.login').where('result', '=', 'failure').execute();
      expect(audited.filter((a) => JSON.parse(a.details ?? '{}').reason === 'rate-limited').length).toBe(50);
    } finally {
      await limited.close();
    }
  });

  it('an unknown username locks like a real account, and a disabled account answers exactly like a wrong password', async () => {
    await user('known1');
    const seen: Record<string, { status: number; body: unknown; retryAfter: boolean }[]> = {};
    for (const name of ['known1', 'ghost1']) {
      seen[name] = [];
      for (let i = 0; i < MAX + 1; i++) {
        const res = await attempt(name);
        seen[name]!.push({ status: res.status, body: res.body, retryAfter: Number(res.headers['retry-after']) > 500 });
      }
    }
    expect(seen.known1!.map((s) => s.status)).toEqual([...Array(MAX).fill(401), 423]);
    expect(seen.ghost1).toEqual(seen.known1);

    const sleeper = await user('sleeper');
    expect((await tp.request({ method: 'PATCH', url: `/api/users/${sleeper.id}`, token: admin, body: { status: 'disabled' } })).status).toBe(200);
    const right = await attempt('sleeper', PASSWORD);
    const wrong = await attempt('sleeper', 'Wr0ng-Guess!');
    expect(right.status).toBe(401);
    expect(right.body).toEqual(wrong.body);
    expect(right.body).toEqual({ error: { code: 'UNAUTHORIZED', message: 'invalid username or password' } });
  });

  it('two administrators demoting each other at once: exactly one succeeds, the other is refused, one administrator is left', async () => {
    const activeAdmins = async () =>
      (
        await db()
          .selectFrom('users')
          .innerJoin('user_roles', 'user_roles.user_id', 'users.id')
          .innerJoin('roles', 'roles.id', 'user_roles.role_id')
          .select('users.id')
          .where('roles.name', '=', 'admin')
          .where('users.status', '=', 'active')
          .execute()
      ).map((r) => r.id);
    const me = (await tp.request({ method: 'GET', url: '/api/auth/me', token: admin })).body;
    let survivor = { id: me.id as number, token: admin };
    for (let round = 0; round < 5; round++) {
      const other = await tp.request({
        method: 'POST',
        url: '/api/users',
        token: survivor.token,
        body: { username: `second${round}`, email: `second${round}@example.com`, password: PASSWORD, roles: ['admin'] },
      });
      expect(other.status).toBe(201);
      const second = { id: other.body.id as number, token: (await tp.login(`second${round}`, PASSWORD)).accessToken };
      expect((await activeAdmins()).sort()).toEqual([survivor.id, second.id].sort());
      const [a, b] = await Promise.all([
        tp.request({ method: 'PATCH', url: `/api/users/${second.id}`, token: survivor.token, body: { roles: ['viewer'] } }),
        tp.request({ method: 'PATCH', url: `/api/users/${survivor.id}`, token: second.token, body: { roles: ['viewer'] } }),
      ]);
      // the loser is refused: 409 by the last-administrator guard, or 403 when the winner's change
      // was committed before the loser's request was authorised (it is no longer an administrator)
      const sorted = [a.status, b.status].sort();
      expect(sorted[0]).toBe(200);
      expect([403, 409]).toContain(sorted[1]);
      const left = await activeAdmins();
      expect(left).toEqual([a.status === 200 ? survivor.id : second.id]);
      if (b.status === 200) survivor = second;
    }
  });

  it('the last-administrator guard holds under parallel demotions by the shell (exactly one 409)', async () => {
    const { systemActor } = await import('../../src/services/actor.js');
    const users = tp.platform.users;
    const admins = async () =>
      (await db().selectFrom('user_roles').innerJoin('roles', 'roles.id', 'user_roles.role_id').select('user_id').where('roles.name', '=', 'admin').execute()).map(
        (r) => r.user_id,
      );
    for (let round = 0; round < 5; round++) {
      const [only] = await admins();
      const extra = await users.create(systemActor, { username: `shell${round}`, email: `shell${round}@example.com`, password: PASSWORD, roles: ['admin'] });
      const outcomes = await Promise.allSettled([users.update(systemActor, only!, { roles: ['viewer'] }), users.update(systemActor, extra.id, { roles: ['viewer'] })]);
      const refused = outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason.code);
      expect(refused).toEqual(['CONFLICT']);
      expect((await admins()).length).toBe(1);
    }
  });

  it('failures are forgotten after a day without one, and forgotten names leave the table', async () => {
    const clock = {
      t: Date.now(),
      now() {
        return new Date(this.t);
      },
    };
    const timed = await startTestPlatform(backend, { clock, env: { MCP_LOGIN_MAX_FAILURES: '3' } });
    try {
      const tryLogin = (username: string) => timed.request({ method: 'POST', url: '/api/auth/login', body: { username, password: 'Wr0ng-Guess!' } });
      const rows = async () => (await timed.platform.database.db.selectFrom('login_throttle').select('username').orderBy('username').execute()).map((r) => r.username);
      for (let i = 0; i < 2; i++) expect((await tryLogin('drifter')).status).toBe(401);
      expect(await rows()).toEqual(['drifter']);
      clock.t += 25 * 3600 * 1000;
      for (let i = 0; i < 2; i++) expect((await tryLogin('drifter')).status).toBe(401); // 2 + 2 > 3, but the first two are forgotten
      expect((await tryLogin('drifter')).status).toBe(401);
      expect((await tryLogin('drifter')).status).toBe(423);
      clock.t += 25 * 3600 * 1000;
      expect((await tryLogin('newcomer')).status).toBe(401);
      expect(await rows()).toEqual(['newcomer']);
    } finally {
      await timed.close();
    }
  });

  it('token responses (login, refresh) are marked Cache-Control: no-store', async () => {
    const login = await tp.request({ method: 'POST', url: '/api/auth/login', body: { username: 'admin', password: ADMIN_PASSWORD } });
    expect(login.status).toBe(200);
    expect(login.headers['cache-control']).toBe('no-store');
    const refresh = await tp.request({ method: 'POST', url: '/api/auth/refresh', body: { refreshToken: login.body.refreshToken } });
    expect(refresh.status).toBe(200);
    expect(refresh.headers['cache-control']).toBe('no-store');
  });
});
