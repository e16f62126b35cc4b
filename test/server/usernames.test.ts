import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/services/actor.js';
import { ADMIN_PASSWORD, BACKENDS, startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

/**
 * Issue 9 D9: one spelling per username on both backends — NFKC and lower case, then an exact
 * comparison. Full-width `ｖｉｅｗｅｒ１` is `viewer1` after NFKC; an accent or a space makes another name.
 */
describe.each(BACKENDS)('usernames on %s backend', (backend) => {
  let tp: TestPlatform;
  let admin: string;
  const PASSWORD = 'Str0ng-Pass!';

  beforeAll(async () => {
    tp = await startTestPlatform(backend);
    admin = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
    const res = await tp.request({ method: 'POST', url: '/api/users', token: admin, body: { username: 'viewer1', email: 'viewer1@example.com', password: PASSWORD } });
    expect(res.status).toBe(201);
  });
  afterAll(async () => tp?.close());

  const login = (username: string) => tp.request({ method: 'POST', url: '/api/auth/login', body: { username, password: PASSWORD } });

  it('the same spellings log in as viewer1 on every backend; accented and padded ones do not', async () => {
    for (const same of ['viewer1', 'VIEWER1', 'ｖｉｅｗｅｒ１']) {
      const res = await login(same);
      expect(res.status, same).toBe(200);
      const me = await tp.request({ method: 'GET', url: '/api/auth/me', token: res.body.accessToken });
      expect(me.body.username).toBe('viewer1');
    }
    if (backend === 'real') {
      // the column compares bytes, not MariaDB's accent-, width- and case-folding default
      const { sql } = await import('kysely');
      const col = await sql<{ c: string }>`select collation_name as c from information_schema.columns
        where table_schema = database() and table_name = 'users' and column_name = 'username'`.execute(tp.platform.database.db);
      expect(col.rows[0]?.c).toMatch(/_bin$/);
    }
    for (const other of ['viéwer1', 'viewer1 ', ' viewer1', 'viewer1\t']) {
      const res = await login(other);
      expect(res.status, JSON.stringify(other)).toBe(401);
      expect(res.body.error.message).toBe('invalid username or password');
    }
  });

  it('a new account cannot take a spelling of an existing name, nor a name outside the pattern (every face)', async () => {
    const users = tp.platform.users;
    await expect(users.create(systemActor, { username: 'ＶＩＥＷＥＲ１', email: 'fw@example.com', password: PASSWORD })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(users.create(systemActor, { username: 'viéwer1', email: 'acc@example.com', password: PASSWORD })).rejects.toMatchObject({ code: 'INVALID' });
    await expect(users.create(systemActor, { username: 'viewer1 ', email: 'pad@example.com', password: PASSWORD })).rejects.toMatchObject({ code: 'INVALID' });
    const api = await tp.request({ method: 'POST', url: '/api/users', token: admin, body: { username: 'viéwer1', email: 'acc@example.com', password: PASSWORD } });
    expect(api.status).toBe(400);
    expect(await users.findByUsername('ｖｉｅｗｅｒ１')).toMatchObject({ username: 'viewer1' });
    expect(await users.findByUsername('viéwer1')).toBeUndefined();
    const n = await tp.platform.database.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('email', 'in', ['fw@example.com', 'acc@example.com', 'pad@example.com'])
      .executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(0);
  });
});
