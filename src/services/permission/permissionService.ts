import { AppError, conflict, forbidden, invalid, notFound } from '../../errors/appError.js';
import type { Clock } from '../../infra/clock.js';
import type { Database, Executor } from '../../infra/db/database.js';
import { toDbTime } from '../../infra/db/time.js';
import type { AuditLog } from '../system/contract.js';
import type { Actor } from '../actor.js';
import { ALL_PERMISSIONS, BUILTIN_ROLES, PERMISSIONS, isPermission, type Permission } from './catalog.js';
import type { PermissionService, Role } from './contract.js';

/** Runs `work`; a FORBIDDEN refusal is written to the audit log (result `denied`) before it propagates. */
export async function auditDenials<T>(audit: AuditLog, entry: { actor: Actor; action: string; target: string }, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof AppError && e.code === 'FORBIDDEN') {
      const details = e.details && typeof e.details === 'object' ? (e.details as Record<string, unknown>) : {};
      await audit.record({ ...entry.actor, action: entry.action, target: entry.target, result: 'denied', details: { reason: e.message, ...details } });
    }
    throw e;
  }
}

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
interface RoleEntry {
  name: string;
  permissions: Set<Permission>;
}
type RoleMap = Map<number, RoleEntry>;
export interface RoleCache {
  /** By role id: a name can be reused by a new role, an id cannot. */
  map?: Promise<RoleMap>;
  loadedAt: number;
  /** How long a loaded role map is used (ms); 0 reads it for every check (no broadcast reaches this process). */
  ttlMs: number;
  /** Results memoised per role combination (few distinct ones), so a request allocates nothing. */
  unions: WeakMap<RoleMap, Map<string, { names: string[]; permissions: ReadonlySet<Permission> }>>;
}

export const createRoleCache = (ttlMs = ROLE_MAP_TTL_MS): RoleCache => ({ loadedAt: 0, ttlMs, unions: new WeakMap() });

export function createPermissionService(deps: {
  database: Database;
  audit: AuditLog;
  clock: Clock;
  /** Called after a role changed, so other replicas can invalidate (bus broadcast). */
  onChange?: () => void;
  /** Called after a role's permissions changed or it was deleted, with its holders: their cached views name it. */
  onHoldersChanged?: (userIds: number[]) => Promise<void>;
  /** Shared by every wiring of the service in the process (see createRoleCache). */
  roleCache?: RoleCache;
}): PermissionService {
  const { db } = deps.database;
  const cache = deps.roleCache ?? createRoleCache();

  async function loadRoleMap(): Promise<RoleMap> {
    const rows = await db
      .selectFrom('roles')
      .leftJoin('role_permissions', 'role_permissions.role_id', 'roles.id')
      .leftJoin('permissions', 'permissions.id', 'role_permissions.permission_id')
      .select(['roles.id', 'roles.name as role', 'permissions.name as permission'])
      .execute();
    const map: RoleMap = new Map();
    for (const r of rows) {
      const entry = map.get(r.id) ?? { name: r.role, permissions: new Set<Permission>() };
      if (r.permission && isPermission(r.permission)) entry.permissions.add(r.permission);
      map.set(r.id, entry);
    }
    return map;
  }

  async function permissionsOfUser(userId: number, trx: Executor = db): Promise<Set<Permission>> {
    const rows = await trx
      .selectFrom('user_roles')
      .innerJoin('role_permissions', 'role_permissions.role_id', 'user_roles.role_id')
      .innerJoin('permissions', 'permissions.id', 'role_permissions.permission_id')
      .select('permissions.name')
      .where('user_roles.user_id', '=', userId)
      .execute();
    return new Set(rows.map((r) => r.name).filter(isPermission));
  }

  async function permissionsOfRoles(roleIds: readonly number[], trx: Executor = db): Promise<Set<Permission>> {
    if (!roleIds.length) return new Set();
    const rows = await trx
      .selectFrom('role_permissions')
      .innerJoin('permissions', 'permissions.id', 'role_permissions.permission_id')
      .select('permissions.name')
      .where('role_permissions.role_id', 'in', [...roleIds])
      .execute();
    return new Set(rows.map((r) => r.name).filter(isPermission));
  }

  async function requireHeld(actor: Actor, needed: Iterable<Permission>, message: string, trx: Executor = db): Promise<void> {
    if (actor.actorId === null) return;
    const held = await permissionsOfUser(actor.actorId, trx);
    const missing = [...new Set(needed)].filter((p) => !held.has(p));
    if (missing.length) throw forbidden(message, { missing });
  }

  async function holdersOf(roleId: number, trx: Executor = db): Promise<number[]> {
    return (await trx.selectFrom('user_roles').select('user_id').where('role_id', '=', roleId).execute()).map((r) => r.user_id);
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
      const target = `role:${input.name}`;
      const id = await auditDenials(deps.audit, { actor, action: 'role.create', target }, () =>
        db.transaction().execute(async (trx) => {
          await requireHeld(actor, perms, 'you cannot create a role with permissions you do not hold', trx);
          const taken = await trx.selectFrom('roles').select('id').where('name', '=', input.name).executeTakeFirst();
          if (taken) throw conflict(`role "${input.name}" already exists`, { field: 'name' });
          const res = await trx
            .insertInto('roles')
            .values({ name: input.name, description: input.description ?? '', builtin: 0, created_at: now, updated_at: now })
            .executeTakeFirstOrThrow();
          const roleId = Number(res.insertId);
          await writeGrants(trx, roleId, perms);
          await deps.audit.record({ ...actor, action: 'role.create', target, result: 'success', details: { permissions: perms } }, trx);
          return roleId;
        }),
      );
      changed();
      return mustGet(id);
    },

    async updateRole(actor, id, input) {
      const role = await mustGet(id);
      if (role.builtin) throw conflict(`built-in role "${role.name}" cannot be changed; create a new role instead`);
      const perms = input.permissions ? checkPermissions(input.permissions) : undefined;
      const holders = await auditDenials(deps.audit, { actor, action: 'role.update', target: `role:${role.name}` }, () =>
        db.transaction().execute(async (trx) => {
          // the role as it is and as it would be: nobody edits a role holding more than they do
          await requireHeld(actor, [...role.permissions, ...(perms ?? [])], 'you cannot change a role with permissions you do not hold', trx);
          const patch: { updated_at: string; description?: string } = { updated_at: toDbTime(deps.clock.now()) };
          if (input.description !== undefined) patch.description = input.description;
          await trx.updateTable('roles').set(patch).where('id', '=', id).execute();
          if (perms) await writeGrants(trx, id, perms);
          await deps.audit.record({ ...actor, action: 'role.update', target: `role:${role.name}`, result: 'success', details: { ...input } }, trx);
          return perms ? holdersOf(id, trx) : [];
        }),
      );
      changed();
      if (holders.length) await deps.onHoldersChanged?.(holders);
      return mustGet(id);
    },

    async deleteRole(actor, id) {
      const role = await mustGet(id);
      if (role.builtin) throw conflict(`built-in role "${role.name}" cannot be deleted`);
      const holders = await auditDenials(deps.audit, { actor, action: 'role.delete', target: `role:${role.name}` }, () =>
        db.transaction().execute(async (trx) => {
          await requireHeld(actor, role.permissions, 'you cannot delete a role with permissions you do not hold', trx);
          const userIds = await holdersOf(id, trx);
          await trx.deleteFrom('roles').where('id', '=', id).execute();
          await deps.audit.record({ ...actor, action: 'role.delete', target: `role:${role.name}`, result: 'success', details: { holders: userIds.length } }, trx);
          return userIds;
        }),
      );
      changed();
      if (holders.length) await deps.onHoldersChanged?.(holders);
    },

    async resolveRoles(roleIds) {
      if (Date.now() - cache.loadedAt > cache.ttlMs || cache.ttlMs === 0) cache.map = undefined;
      if (!cache.map) cache.loadedAt = Date.now();
      const loading = (cache.map ??= loadRoleMap().catch((e: unknown) => {
        if (cache.map === loading) cache.map = undefined;
        throw e;
      }));
      const map = await loading;
      const key = roleIds.join(',');
      const known = cache.unions.get(map)?.get(key);
      if (known) return known;
      const permissions = new Set<Permission>();
      const names: string[] = [];
      for (const id of roleIds) {
        const role = map.get(id);
        if (!role) continue;
        names.push(role.name);
        for (const p of role.permissions) permissions.add(p);
      }
      const out = { names: names.sort(), permissions };
      if (!cache.unions.has(map)) cache.unions.set(map, new Map());
      cache.unions.get(map)!.set(key, out);
      return out;
    },

    permissionsOfUser,
    permissionsOfRoles,
    requireHeld,

    async requireRoles(names, trx = db) {
      if (!names.length) return [];
      const rows = await trx
        .selectFrom('roles')
        .select(['id', 'name'])
        .where('name', 'in', [...names])
        .execute();
      const missing = names.filter((n) => !rows.some((r) => r.name === n));
      if (missing.length) throw invalid(`unknown roles: ${missing.join(', ')}`, { unknown: missing });
      return rows.map((r) => r.id);
    },

    invalidate() {
      cache.map = undefined;
    },
  };
}
