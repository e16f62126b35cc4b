import type { Kysely, Transaction } from 'kysely';
import { conflict, invalid, notFound } from '../../errors/appError.js';
import type { Clock } from '../../infra/clock.js';
import type { Database } from '../../infra/db/database.js';
import type { Schema } from '../../infra/db/schema.js';
import { toDbTime } from '../../infra/db/time.js';
import type { AuditLog } from '../system/auditLog.js';
import type { Actor } from '../actor.js';
import { ALL_PERMISSIONS, BUILTIN_ROLES, PERMISSIONS, isPermission, type Permission } from './catalog.js';

/** RBAC (SPEC PLAT-4): roles, their permissions, and which permissions a set of roles grants. */
export interface Role {
  id: number;
  name: string;
  description: string;
  builtin: boolean;
  permissions: Permission[];
}

export interface RoleInput {
  name: string;
  description?: string;
  permissions: string[];
}

export interface PermissionService {
  listPermissions(): Promise<{ name: Permission; description: string }[]>;
  listRoles(): Promise<Role[]>;
  getRole(id: number): Promise<Role>;
  createRole(actor: Actor, input: RoleInput): Promise<Role>;
  updateRole(actor: Actor, id: number, input: { description?: string; permissions?: string[] }): Promise<Role>;
  deleteRole(actor: Actor, id: number): Promise<void>;
  /** The union of the permissions of `roles` (unknown roles grant nothing). Served from memory. */
  permissionsOf(roles: readonly string[]): Promise<ReadonlySet<Permission>>;
  /** Role names that exist; throws INVALID naming the unknown ones. */
  requireRoles(names: readonly string[], trx?: Kysely<Schema> | Transaction<Schema>): Promise<number[]>;
  /** Drops the in-memory role→permissions map (after a change here or in another replica). */
  invalidate(): void;
}

type Executor = Kysely<Schema> | Transaction<Schema>;

const ROLE_MAP_TTL_MS = 30_000;

/** Writes the catalog's permissions and built-in roles; idempotent, run after every migration. */
export async function syncBuiltinRbac(database: Database, clock: Clock): Promise<void> {
  const { db } = database;
  const now = toDbTime(clock.now());
  await db.transaction().execute(async (trx) => {
    const existing = new Map((await trx.selectFrom('permissions').select(['id', 'name']).execute()).map((p) => [p.name, p.id]));
    for (const [name, description] of Object.entries(PERMISSIONS)) {
      if (existing.has(name)) await trx.updateTable('permissions').set({ description }).where('name', '=', name).execute();
      else await trx.insertInto('permissions').values({ name, description }).execute();
    }
    const permIds = new Map((await trx.selectFrom('permissions').select(['id', 'name']).execute()).map((p) => [p.name, p.id]));
    for (const [name, def] of Object.entries(BUILTIN_ROLES)) {
      let role = await trx.selectFrom('roles').select(['id']).where('name', '=', name).executeTakeFirst();
      if (!role) {
        await trx.insertInto('roles').values({ name, description: def.description, builtin: 1, created_at: now, updated_at: now }).execute();
        role = await trx.selectFrom('roles').select(['id']).where('name', '=', name).executeTakeFirstOrThrow();
      } else {
        await trx.updateTable('roles').set({ description: def.description, builtin: 1 }).where('id', '=', role.id).execute();
      }
      await trx.deleteFrom('role_permissions').where('role_id', '=', role.id).execute();
      await trx
        .insertInto('role_permissions')
        .values(def.permissions.map((p) => ({ role_id: role.id, permission_id: permIds.get(p)! })))
        .execute();
    }
  });
}

/**
 * Role → permissions, kept in memory; dropped on any change, on a broadcast from another replica,
 * and after ROLE_MAP_TTL_MS in case a broadcast was lost. One per process: a traced request's own
 * wiring of the service (Platform.traced) shares it with the platform's.
 */
export interface RoleCache {
  map?: Promise<Map<string, Set<Permission>>>;
  loadedAt: number;
  /** Sets memoised per role combination (few distinct ones), so a request allocates nothing. */
  unions: WeakMap<Map<string, Set<Permission>>, Map<string, ReadonlySet<Permission>>>;
}

export const createRoleCache = (): RoleCache => ({ loadedAt: 0, unions: new WeakMap() });

export function createPermissionService(deps: {
  database: Database;
  audit: AuditLog;
  clock: Clock;
  /** Called after a role changed, so other replicas can invalidate (bus broadcast). */
  onChange?: () => void;
  /** Shared by every wiring of the service in the process (see createRoleCache). */
  roleCache?: RoleCache;
}): PermissionService {
  const { db } = deps.database;
  const cache = deps.roleCache ?? createRoleCache();

  async function loadRoleMap(): Promise<Map<string, Set<Permission>>> {
    const rows = await db
      .selectFrom('roles')
      .leftJoin('role_permissions', 'role_permissions.role_id', 'roles.id')
      .leftJoin('permissions', 'permissions.id', 'role_permissions.permission_id')
      .select(['roles.name as role', 'permissions.name as permission'])
      .execute();
    const map = new Map<string, Set<Permission>>();
    for (const r of rows) {
      const set = map.get(r.role) ?? new Set<Permission>();
      if (r.permission && isPermission(r.permission)) set.add(r.permission);
      map.set(r.role, set);
    }
    return map;
  }

  async function readRoles(where?: number): Promise<Role[]> {
    let q = db
      .selectFrom('roles')
      .leftJoin('role_permissions', 'role_permissions.role_id', 'roles.id')
      .leftJoin('permissions', 'permissions.id', 'role_permissions.permission_id')
      .select(['roles.id', 'roles.name', 'roles.description', 'roles.builtin', 'permissions.name as permission'])
      .orderBy('roles.id');
    if (where !== undefined) q = q.where('roles.id', '=', where);
    const byId = new Map<number, Role>();
    for (const r of await q.execute()) {
      const role = byId.get(r.id) ?? { id: r.id, name: r.name, description: r.description, builtin: r.builtin === 1, permissions: [] };
      if (r.permission && isPermission(r.permission)) role.permissions.push(r.permission);
      byId.set(r.id, role);
    }
    for (const role of byId.values()) role.permissions.sort((a, b) => ALL_PERMISSIONS.indexOf(a) - ALL_PERMISSIONS.indexOf(b));
    return [...byId.values()];
  }

  function checkPermissions(perms: string[]): Permission[] {
    const unknown = perms.filter((p) => !isPermission(p));
    if (unknown.length) throw invalid(`unknown permissions: ${unknown.join(', ')}`, { unknown });
    return [...new Set(perms)] as Permission[];
  }

  async function writeGrants(trx: Executor, roleId: number, perms: Permission[]): Promise<void> {
    await trx.deleteFrom('role_permissions').where('role_id', '=', roleId).execute();
    if (!perms.length) return;
    const ids = await trx.selectFrom('permissions').select(['id']).where('name', 'in', perms).execute();
    await trx
      .insertInto('role_permissions')
      .values(ids.map((p) => ({ role_id: roleId, permission_id: p.id })))
      .execute();
  }

  async function mustGet(id: number): Promise<Role> {
    const [role] = await readRoles(id);
    if (!role) throw notFound(`role ${id}`);
    return role;
  }

  const changed = () => {
    cache.map = undefined;
    deps.onChange?.();
  };

  return {
    async listPermissions() {
      return ALL_PERMISSIONS.map((name) => ({ name, description: PERMISSIONS[name] }));
    },
    listRoles: () => readRoles(),
    getRole: mustGet,

    async createRole(actor, input) {
      const perms = checkPermissions(input.permissions);
      const now = toDbTime(deps.clock.now());
      const id = await db.transaction().execute(async (trx) => {
        const taken = await trx.selectFrom('roles').select('id').where('name', '=', input.name).executeTakeFirst();
        if (taken) throw conflict(`role "${input.name}" already exists`, { field: 'name' });
        const res = await trx
          .insertInto('roles')
          .values({ name: input.name, description: input.description ?? '', builtin: 0, created_at: now, updated_at: now })
          .executeTakeFirstOrThrow();
        const roleId = Number(res.insertId);
        await writeGrants(trx, roleId, perms);
        await deps.audit.record({ ...actor, action: 'role.create', target: `role:${input.name}`, result: 'success', details: { permissions: perms } }, trx);
        return roleId;
      });
      changed();
      return mustGet(id);
    },

    async updateRole(actor, id, input) {
      const role = await mustGet(id);
      if (role.builtin) throw conflict(`built-in role "${role.name}" cannot be changed; create a new role instead`);
      const perms = input.permissions ? checkPermissions(input.permissions) : undefined;
      await db.transaction().execute(async (trx) => {
        const patch: { updated_at: string; description?: string } = { updated_at: toDbTime(deps.clock.now()) };
        if (input.description !== undefined) patch.description = input.description;
        await trx.updateTable('roles').set(patch).where('id', '=', id).execute();
        if (perms) await writeGrants(trx, id, perms);
        await deps.audit.record({ ...actor, action: 'role.update', target: `role:${role.name}`, result: 'success', details: { ...input } }, trx);
      });
      changed();
      return mustGet(id);
    },

    async deleteRole(actor, id) {
      const role = await mustGet(id);
      if (role.builtin) throw conflict(`built-in role "${role.name}" cannot be deleted`);
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('roles').where('id', '=', id).execute();
        await deps.audit.record({ ...actor, action: 'role.delete', target: `role:${role.name}`, result: 'success' }, trx);
      });
      changed();
    },

    async permissionsOf(roles) {
      if (Date.now() - cache.loadedAt > ROLE_MAP_TTL_MS) cache.map = undefined;
      if (!cache.map) cache.loadedAt = Date.now();
      const loading = (cache.map ??= loadRoleMap().catch((e: unknown) => {
        if (cache.map === loading) cache.map = undefined;
        throw e;
      }));
      const map = await loading;
      const key = roles.join(',');
      const known = cache.unions.get(map)?.get(key);
      if (known) return known;
      const out = new Set<Permission>();
      for (const r of roles) for (const p of map.get(r) ?? []) out.add(p);
      if (!cache.unions.has(map)) cache.unions.set(map, new Map());
      cache.unions.get(map)!.set(key, out);
      return out;
    },

    async requireRoles(names, trx = db) {
      if (!names.length) return [];
      const rows = await trx.selectFrom('roles').select(['id', 'name']).where('name', 'in', [...names]).execute();
      const missing = names.filter((n) => !rows.some((r) => r.name === n));
      if (missing.length) throw invalid(`unknown roles: ${missing.join(', ')}`, { unknown: missing });
      return rows.map((r) => r.id);
    },

    invalidate() {
      cache.map = undefined;
    },
  };
}
