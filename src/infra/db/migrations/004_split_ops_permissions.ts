import type { Kysely } from 'kysely';
import type { Schema } from '../schema.js';

/**
 * The catch-all `ops:write` is split by risk (SPEC SEC-4). A role that held it keeps everything it
 * could do except overwriting the live database and failover, which become admin-only
 * (`ops:restore-live`, `ops:failover`). Built-in roles are rewritten by syncBuiltinRbac after
 * every migration; this moves custom roles, then drops `ops:write`.
 */
/** What a role that held `ops:write` holds instead (fixed here: a migration never changes once released). */
const FORMER_OPS_WRITE = ['ops:backup', 'ops:verify', 'ops:restore'] as const;

export function splitOpsPermissions() {
  return {
    async up(untyped: Kysely<unknown>): Promise<void> {
      const db = untyped as unknown as Kysely<Schema>;
      const old = await db.selectFrom('permissions').select('id').where('name', '=', 'ops:write').executeTakeFirst();
      if (!old) return;
      const ids: number[] = [];
      for (const name of FORMER_OPS_WRITE) {
        let row = await db.selectFrom('permissions').select('id').where('name', '=', name).executeTakeFirst();
        if (!row) {
          await db.insertInto('permissions').values({ name, description: '' }).execute();
          row = await db.selectFrom('permissions').select('id').where('name', '=', name).executeTakeFirstOrThrow();
        }
        ids.push(row.id);
      }
      const holders = await db.selectFrom('role_permissions').select('role_id').where('permission_id', '=', old.id).execute();
      for (const { role_id } of holders) {
        const held = new Set((await db.selectFrom('role_permissions').select('permission_id').where('role_id', '=', role_id).execute()).map((r) => r.permission_id));
        const add = ids.filter((id) => !held.has(id));
        if (add.length)
          await db
            .insertInto('role_permissions')
            .values(add.map((permission_id) => ({ role_id, permission_id })))
            .execute();
      }
      await db.deleteFrom('role_permissions').where('permission_id', '=', old.id).execute();
      await db.deleteFrom('permissions').where('id', '=', old.id).execute();
    },
  };
}
