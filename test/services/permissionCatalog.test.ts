import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitOpsPermissions } from '../../src/infra/db/migrations/004_split_ops_permissions.js';
import { syncBuiltinRbac } from '../../src/services/permission/permissionService.js';
import { ADMIN_PASSWORD, startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

/** The operations permissions split by risk (SPEC SEC-4), and the migration of roles that held `ops:write`. */
describe('operations permission catalog', () => {
  let tp: TestPlatform;
  let admin: string;

  beforeAll(async () => {
    tp = await startTestPlatform('embedded');
    admin = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
  });
  afterAll(() => tp?.close());

  it('only admin holds the live restore and failover permissions by default', async () => {
    const roles = (await tp.request({ method: 'GET', url: '/api/roles', token: admin })).body.items as { name: string; permissions: string[] }[];
    const holders = (p: string) => roles.filter((r) => r.permissions.includes(p)).map((r) => r.name);
    expect(holders('ops:restore-live')).toEqual(['admin']);
    expect(holders('ops:failover')).toEqual(['admin']);
    expect(holders('ops:restore')).toEqual(['admin', 'ops']);
    expect(roles.flatMap((r) => r.permissions)).not.toContain('ops:write');
  });

  it('a custom role that held ops:write keeps backups, verification and scratch restores, but not the live restore', async () => {
    const { db } = tp.platform.database;
    // a database as it was before migration 004: a custom role holding the catch-all ops:write
    await db.insertInto('permissions').values({ name: 'ops:write', description: 'run operations' }).execute();
    const now = '2026-11-01 00:00:00.000';
    await db.insertInto('roles').values({ name: 'night-shift', description: '', builtin: 0, created_at: now, updated_at: now }).execute();
    const role = await db.selectFrom('roles').select('id').where('name', '=', 'night-shift').executeTakeFirstOrThrow();
    const perm = (name: string) => db.selectFrom('permissions').select('id').where('name', '=', name).executeTakeFirstOrThrow();
    await db
      .insertInto('role_permissions')
      .values([
        { role_id: role.id, permission_id: (await perm('ops:write')).id },
        { role_id: role.id, permission_id: (await perm('ops:read')).id },
      ])
      .execute();
    // migration 004 itself (re-running it through the migrator is refused once later migrations exist)
    await splitOpsPermissions().up(db as never);
    await syncBuiltinRbac(tp.platform.database, tp.platform.clock);
    tp.platform.permissions.invalidate();

    const got = (await tp.request({ method: 'GET', url: `/api/roles/${role.id}`, token: admin })).body;
    expect([...got.permissions].sort()).toEqual(['ops:backup', 'ops:read', 'ops:restore', 'ops:verify']);
    expect(await db.selectFrom('permissions').select('id').where('name', '=', 'ops:write').executeTakeFirst()).toBeUndefined();
  });

  it('an operator may restore into another database but not into the live one', async () => {
    await tp.request({ method: 'POST', url: '/api/users', token: admin, body: { username: 'operator1', email: 'op1@example.com', password: 'Str0ng-Pass!', roles: ['ops'] } });
    const ops = (await tp.login('operator1', 'Str0ng-Pass!')).accessToken;
    const live = await tp.request({ method: 'POST', url: '/api/ops/restores', token: ops, body: { backup: 'latest', force: true } });
    expect(live.status).toBe(403);
    expect(live.body.error.details).toEqual({ required: 'ops:restore-live' });
    const backup = await tp.request({ method: 'POST', url: '/api/ops/backups', token: ops, body: { type: 'full' } });
    expect(backup.status).toBe(202);
  });
});
