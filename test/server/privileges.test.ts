import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, BACKENDS, startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

/**
 * Issue 9 A1 and A5 over the API: nobody grants, edits or resets beyond what they hold, and a
 * cached principal never outlives the roles it names. Each refusal is a 403 that changes nothing.
 */
describe.each(BACKENDS)('privileges on %s backend', (backend) => {
  let tp: TestPlatform;
  let admin: string;
  let adminId: number;
  const PASSWORD = 'Str0ng-Pass!';
  // every permission of `viewer` plus user and role management — but not users:reset-password, audit:read, ops:*
  const MANAGER = ['users:read', 'users:write', 'roles:read', 'roles:write', 'settings:read', 'ops:read'];

  beforeAll(async () => {
    tp = await startTestPlatform(backend);
    admin = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
    adminId = (await tp.request({ method: 'GET', url: '/api/auth/me', token: admin })).body.id;
  });
  afterAll(async () => tp?.close());

  const db = () => tp.platform.database.db;
  async function role(name: string, permissions: string[]) {
    const res = await tp.request({ method: 'POST', url: '/api/roles', token: admin, body: { name, permissions } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: number };
  }
  async function user(username: string, roles: string[]) {
    const res = await tp.request({ method: 'POST', url: '/api/users', token: admin, body: { username, email: `${username}@example.com`, password: PASSWORD, roles } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: number };
  }
  const rolesOf = async (id: number) =>
    (await db().selectFrom('user_roles').innerJoin('roles', 'roles.id', 'user_roles.role_id').select('roles.name').where('user_id', '=', id).orderBy('roles.name').execute()).map(
      (r) => r.name,
    );
  const hashOf = async (id: number) => (await db().selectFrom('users').select('password_hash').where('id', '=', id).executeTakeFirstOrThrow()).password_hash;
  const denials = async (action: string) =>
    db().selectFrom('audit_log').select(['actor', 'target', 'details']).where('action', '=', action).where('result', '=', 'denied').orderBy('seq').execute();

  it('a users:write holder cannot make itself admin, nor grant or create roles with permissions it lacks', async () => {
    await role('manager', MANAGER);
    const mgr = await user('mgr', ['manager']);
    const token = (await tp.login('mgr', PASSWORD)).accessToken;

    const self = await tp.request({ method: 'PATCH', url: `/api/users/${mgr.id}`, token, body: { roles: ['admin'] } });
    expect(self.status).toBe(403);
    expect(self.body.error).toMatchObject({ code: 'FORBIDDEN' });
    expect(self.body.error.details.missing).toContain('ops:restore-live');
    expect(await rolesOf(mgr.id)).toEqual(['manager']);
    expect((await denials('user.update')).at(-1)).toMatchObject({ actor: 'mgr', target: 'user:mgr' });

    const users = Number(
      (
        await db()
          .selectFrom('users')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
    for (const roles of [['admin'], ['ops']]) {
      const res = await tp.request({ method: 'POST', url: '/api/users', token, body: { username: 'crony', email: 'crony@example.com', password: PASSWORD, roles } });
      expect(res.status).toBe(403);
    }
    expect(
      Number(
        (
          await db()
            .selectFrom('users')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      ),
    ).toBe(users);
    expect((await denials('user.create')).length).toBe(2);
    // what it holds, it may grant
    expect(
      (await tp.request({ method: 'POST', url: '/api/users', token, body: { username: 'plain', email: 'plain@example.com', password: PASSWORD, roles: ['viewer'] } })).status,
    ).toBe(201);

    const made = await tp.request({ method: 'POST', url: '/api/roles', token, body: { name: 'sneaky', permissions: ['users:read', 'audit:read'] } });
    expect(made.status).toBe(403);
    expect(made.body.error.details).toEqual({ missing: ['audit:read'] });
    expect(await db().selectFrom('roles').select('id').where('name', '=', 'sneaky').executeTakeFirst()).toBeUndefined();
    expect((await tp.request({ method: 'POST', url: '/api/roles', token, body: { name: 'readers', permissions: ['users:read'] } })).status).toBe(201);

    // a role holding more than the actor can be neither widened, edited nor deleted by it
    const auditors = await role('auditors', ['audit:read']);
    const readers = (await tp.request({ method: 'GET', url: '/api/roles', token })).body.items.find((r: { name: string }) => r.name === 'readers');
    expect((await tp.request({ method: 'PATCH', url: `/api/roles/${readers.id}`, token, body: { permissions: ['users:read', 'ops:restore-live'] } })).status).toBe(403);
    expect((await tp.request({ method: 'PATCH', url: `/api/roles/${auditors.id}`, token, body: { description: 'mine now' } })).status).toBe(403);
    expect((await tp.request({ method: 'DELETE', url: `/api/roles/${auditors.id}`, token })).status).toBe(403);
    const kept = await tp.request({ method: 'GET', url: `/api/roles/${auditors.id}`, token: admin });
    expect(kept.body).toMatchObject({ description: '', permissions: ['audit:read'] });
    expect((await tp.request({ method: 'GET', url: `/api/roles/${readers.id}`, token: admin })).body.permissions).toEqual(['users:read']);
    expect((await denials('role.update')).length).toBe(2);
    expect((await denials('role.delete')).length).toBe(1);
  });

  it('nobody edits, disables, deletes or resets an account holding permissions they lack', async () => {
    const token = (await tp.login('mgr', PASSWORD)).accessToken;
    const adminHash = await hashOf(adminId);
    const attempts = [
      { method: 'PATCH' as const, body: { password: 'Hijack3d-Pass!' } },
      { method: 'PATCH' as const, body: { status: 'disabled' } },
      { method: 'PATCH' as const, body: { email: 'mine@example.com' } },
      { method: 'PATCH' as const, body: { roles: ['viewer'] } },
      { method: 'DELETE' as const, body: undefined },
    ];
    for (const a of attempts) {
      const res = await tp.request({ method: a.method, url: `/api/users/${adminId}`, token, body: a.body });
      expect(res.status, JSON.stringify(a)).toBe(403);
    }
    const row = await db().selectFrom('users').select(['email', 'status', 'password_hash']).where('id', '=', adminId).executeTakeFirstOrThrow();
    expect(row).toEqual({ email: 'admin@localhost', status: 'active', password_hash: adminHash });
    expect(await rolesOf(adminId)).toEqual(['admin']);
    expect((await tp.login('admin', ADMIN_PASSWORD)).accessToken).toBeTruthy();
  });

  it('a password is changed by its owner at /api/auth/password, or reset by a users:reset-password holder: one-time, sessions ended', async () => {
    const mgr = (await tp.request({ method: 'GET', url: '/api/users?search=mgr', token: admin })).body.items[0];
    const token = (await tp.login('mgr', PASSWORD)).accessToken;
    const own = await tp.request({ method: 'PATCH', url: `/api/users/${mgr.id}`, token, body: { password: 'An0ther-Pass!' } });
    expect(own.status).toBe(403);
    expect(own.body.error.message).toContain('/api/auth/password');
    // without users:reset-password, not even a viewer's password
    const plain = (await tp.request({ method: 'GET', url: '/api/users?search=plain', token: admin })).body.items[0];
    const plainHash = await hashOf(plain.id);
    expect((await tp.request({ method: 'PATCH', url: `/api/users/${plain.id}`, token, body: { password: 'Res3t-By-Mgr!' } })).status).toBe(403);
    expect(await hashOf(plain.id)).toBe(plainHash);
    expect(await hashOf(mgr.id)).not.toBe(undefined);
    await tp.login('mgr', PASSWORD);

    // a reset-password holder resets a viewer, but not the administrator
    await role('helpdesk', [...MANAGER, 'users:reset-password']);
    await user('helper', ['helpdesk']);
    const helper = (await tp.login('helper', PASSWORD)).accessToken;
    const victimSession = await tp.login('plain', PASSWORD);
    const lasting = await tp.request({ method: 'PATCH', url: `/api/users/${plain.id}`, token: helper, body: { password: 'Res3t-By-Help!', mustChangePassword: false } });
    expect(lasting.status).toBe(400);
    const reset = await tp.request({ method: 'PATCH', url: `/api/users/${plain.id}`, token: helper, body: { password: 'Res3t-By-Help!' } });
    expect(reset.status).toBe(200);
    expect(reset.body.mustChangePassword).toBe(true);
    expect((await tp.request({ method: 'GET', url: '/api/auth/me', token: victimSession.accessToken })).status).toBe(401);
    expect((await tp.request({ method: 'POST', url: '/api/auth/refresh', body: { refreshToken: victimSession.refreshToken } })).status).toBe(401);
    expect((await tp.login('plain', 'Res3t-By-Help!')).passwordChangeRequired).toBe(true);
    const adminHash = await hashOf(adminId);
    expect((await tp.request({ method: 'PATCH', url: `/api/users/${adminId}`, token: helper, body: { password: 'Hijack3d-Pass!' } })).status).toBe(403);
    expect(await hashOf(adminId)).toBe(adminHash);
  });

  it('a role deleted and re-created under its name grants nothing to holders of the old one, even while they are cached', async () => {
    const old = await role('temp', ['audit:read']);
    const holder = await user('holder', ['temp']);
    const token = (await tp.login('holder', PASSWORD)).accessToken;
    expect((await tp.request({ method: 'GET', url: '/api/auth/me', token })).body.roles).toEqual(['temp']); // principal now cached
    expect((await tp.request({ method: 'GET', url: `/api/users/${holder.id}`, token: admin })).body.roles).toEqual(['temp']); // user view cached
    expect((await tp.request({ method: 'GET', url: '/api/system/audit-logs', token })).status).toBe(200);

    expect((await tp.request({ method: 'DELETE', url: `/api/roles/${old.id}`, token: admin })).status).toBe(204);
    await role('temp', ['audit:read', 'users:read', 'settings:read']);

    expect((await tp.request({ method: 'GET', url: '/api/users', token })).status).toBe(403);
    expect((await tp.request({ method: 'GET', url: '/api/system/audit-logs', token })).status).toBe(403);
    const me = await tp.request({ method: 'GET', url: '/api/auth/me', token });
    expect(me.body).toMatchObject({ roles: [], permissions: [] });
    expect((await tp.request({ method: 'GET', url: `/api/users/${holder.id}`, token: admin })).body.roles).toEqual([]);
  });
});
