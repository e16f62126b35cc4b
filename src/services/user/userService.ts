import { conflict, forbidden, notFound } from '../../errors/appError.js';
import type { Cache } from '../../infra/cache/cache.js';
import type { Clock } from '../../infra/clock.js';
import type { Database } from '../../infra/db/database.js';
import type { Selectable, Updateable } from 'kysely';
import type { UsersTable } from '../../infra/db/schema.js';
import { containsPattern } from '../../infra/db/like.js';
import { isoTime, toDbTime } from '../../infra/db/time.js';
import type { Actor } from '../actor.js';
import { checkPasswordPolicy, hashPassword } from '../auth/passwords.js';
import type { PermissionService } from '../permission/permissionService.js';
import type { AuditLog } from '../system/auditLog.js';

/** Users (SPEC PLAT-3): CRUD with pagination and search; hot reads cached (PERF-2). */
export interface User {
  id: number;
  username: string;
  email: string;
  displayName: string | null;
  status: 'active' | 'disabled';
  roles: string[];
  mustChangePassword: boolean;
  lastLoginAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface UserCreate {
  username: string;
  email: string;
  password: string;
  displayName?: string | null;
  roles?: string[];
  mustChangePassword?: boolean;
}

export interface UserUpdate {
  email?: string;
  displayName?: string | null;
  status?: 'active' | 'disabled';
  roles?: string[];
  password?: string;
  mustChangePassword?: boolean;
}

export interface UserQuery {
  page: number;
  pageSize: number;
  search?: string;
  status?: 'active' | 'disabled';
  role?: string;
}

/** What authentication needs about a user. */
export interface Credentials {
  id: number;
  username: string;
  passwordHash: string;
  status: 'active' | 'disabled';
  failedLogins: number;
  lockedUntil: string | null;
  mustChangePassword: boolean;
}

export interface UserService {
  list(query: UserQuery): Promise<{ items: User[]; total: number; page: number; pageSize: number }>;
  /**
   * A user's view as JSON text (a `User`), served from the cache as stored — the hot read path
   * parses and re-serialises nothing. Falls back to the database when the cache misses or is
   * unavailable. `prefetched` is the cache read started early by `prefetch` (it overlaps the
   * request's authentication round trip).
   */
  getJson(id: number, prefetched?: Promise<string | null>): Promise<string>;
  /** Starts reading a user's cached view now; never rejects (a cache failure reads as a miss). */
  prefetch(id: number): Promise<string | null>;
  findByUsername(username: string): Promise<User | undefined>;
  create(actor: Actor, input: UserCreate): Promise<User>;
  update(actor: Actor, id: number, input: UserUpdate): Promise<User>;
  remove(actor: Actor, id: number): Promise<void>;
  credentials(username: string): Promise<Credentials | undefined>;
  /** Drops cached views of a user (after a change made outside this service, e.g. a login). */
  forget(id: number): Promise<void>;
}

export const normalizeUsername = (s: string) => s.trim().toLowerCase();
export const normalizeEmail = (s: string) => s.trim().toLowerCase();

export const userCacheKey = (id: number) => `user:${id}`;
export const principalCacheKey = (id: number) => `authz:user:${id}`;

export function createUserService(deps: {
  database: Database;
  cache: Cache;
  permissions: PermissionService;
  audit: AuditLog;
  clock: Clock;
  cacheTtlSeconds: number;
  /** Revokes every session of a user (password change, disable, delete, role change). */
  revokeSessions: (userId: number, reason: string) => Promise<void>;
  onCacheError?: (e: unknown) => void;
}): UserService {
  const { db } = deps.database;
  const cacheError = (e: unknown) => deps.onCacheError?.(e);

  async function rolesOf(ids: number[]): Promise<Map<number, string[]>> {
    const map = new Map<number, string[]>();
    if (!ids.length) return map;
    const rows = await db
      .selectFrom('user_roles')
      .innerJoin('roles', 'roles.id', 'user_roles.role_id')
      .select(['user_roles.user_id', 'roles.name'])
      .where('user_roles.user_id', 'in', ids)
      .orderBy('roles.name')
      .execute();
    for (const r of rows) map.set(r.user_id, [...(map.get(r.user_id) ?? []), r.name]);
    return map;
  }

  const toUser = (r: Selectable<UsersTable>, roles: string[]): User => ({
    id: r.id,
    username: r.username,
    email: r.email,
    displayName: r.display_name,
    status: r.status,
    roles,
    mustChangePassword: r.must_change_password === 1,
    lastLoginAt: isoTime(r.last_login_at),
    createdAt: isoTime(r.created_at),
    updatedAt: isoTime(r.updated_at),
  });

  async function load(id: number): Promise<User> {
    const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound(`user ${id}`);
    return toUser(row, (await rolesOf([id])).get(id) ?? []);
  }

  function readCached(id: number): Promise<string | null> {
    return deps.cache.get(userCacheKey(id)).catch((e: unknown) => {
      cacheError(e);
      return null;
    });
  }

  async function forget(id: number): Promise<void> {
    await deps.cache.del(userCacheKey(id), principalCacheKey(id)).catch(cacheError);
  }

  async function uniqueness(username: string | undefined, email: string | undefined, exceptId?: number): Promise<void> {
    if (username) {
      const hit = await db.selectFrom('users').select('id').where('username', '=', username).executeTakeFirst();
      if (hit && hit.id !== exceptId) throw conflict(`username "${username}" is taken`, { field: 'username' });
    }
    if (email) {
      const hit = await db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst();
      if (hit && hit.id !== exceptId) throw conflict(`email "${email}" is taken`, { field: 'email' });
    }
  }

  /** Refuses a change that would leave no active administrator. */
  async function keepAnAdmin(userId: number): Promise<void> {
    const admins = await db
      .selectFrom('users')
      .innerJoin('user_roles', 'user_roles.user_id', 'users.id')
      .innerJoin('roles', 'roles.id', 'user_roles.role_id')
      .select('users.id')
      .where('roles.name', '=', 'admin')
      .where('users.status', '=', 'active')
      .execute();
    if (admins.length === 1 && admins[0]!.id === userId) {
      throw conflict('this is the last active administrator; make another user admin first');
    }
  }

  /** Unique-key violations that slipped past the pre-check (a concurrent insert) become 409. */
  function duplicateToConflict(e: unknown): never {
    const err = e as { code?: string; message?: string };
    if (err?.code === 'ER_DUP_ENTRY' || err?.code === 'SQLITE_CONSTRAINT_UNIQUE') {
      const field = /email/.test(err.message ?? '') ? 'email' : 'username';
      throw conflict(`${field} is taken`, { field });
    }
    throw e;
  }

  return {
    async list(q) {
      let base = db.selectFrom('users');
      if (q.search) {
        const like = containsPattern(q.search);
        base = base.where((eb) => eb.or([eb('users.username', 'like', like), eb('users.email', 'like', like), eb('users.display_name', 'like', like)]));
      }
      if (q.status) base = base.where('users.status', '=', q.status);
      if (q.role) {
        const role = q.role;
        base = base.where('users.id', 'in', (eb) =>
          eb.selectFrom('user_roles').innerJoin('roles', 'roles.id', 'user_roles.role_id').select('user_roles.user_id').where('roles.name', '=', role),
        );
      }
      const count = await base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
      const rows = await base
        .selectAll('users')
        .orderBy('users.id')
        .limit(q.pageSize)
        .offset((q.page - 1) * q.pageSize)
        .execute();
      const roles = await rolesOf(rows.map((r) => r.id));
      return { items: rows.map((r) => toUser(r, roles.get(r.id) ?? [])), total: Number(count.total), page: q.page, pageSize: q.pageSize };
    },

    async getJson(id, prefetched) {
      const cached = await (prefetched ?? readCached(id));
      if (cached) return cached;
      const json = JSON.stringify(await load(id));
      await deps.cache.set(userCacheKey(id), json, deps.cacheTtlSeconds).catch(cacheError);
      return json;
    },

    prefetch: readCached,

    async findByUsername(username) {
      const row = await db.selectFrom('users').select('id').where('username', '=', normalizeUsername(username)).executeTakeFirst();
      return row ? load(row.id) : undefined;
    },

    async create(actor, input) {
      const username = normalizeUsername(input.username);
      const email = normalizeEmail(input.email);
      checkPasswordPolicy(input.password, username);
      await uniqueness(username, email);
      const roleNames = [...new Set(input.roles ?? ['viewer'])];
      const roleIds = await deps.permissions.requireRoles(roleNames);
      const passwordHash = await hashPassword(input.password);
      const now = toDbTime(deps.clock.now());
      const id = await db
        .transaction()
        .execute(async (trx) => {
          const res = await trx
            .insertInto('users')
            .values({
              username,
              email,
              display_name: input.displayName ?? null,
              password_hash: passwordHash,
              status: 'active',
              must_change_password: input.mustChangePassword ? 1 : 0,
              created_at: now,
              updated_at: now,
            })
            .executeTakeFirstOrThrow();
          const userId = Number(res.insertId);
          if (roleIds.length) await trx.insertInto('user_roles').values(roleIds.map((role_id) => ({ user_id: userId, role_id }))).execute();
          await deps.audit.record(
            { ...actor, action: 'user.create', target: `user:${username}`, result: 'success', details: { userId, email, roles: roleNames } },
            trx,
          );
          return userId;
        })
        .catch(duplicateToConflict);
      return load(id);
    },

    async update(actor, id, input) {
      const before = await load(id);
      const email = input.email !== undefined ? normalizeEmail(input.email) : undefined;
      if (email && email !== before.email) await uniqueness(undefined, email, id);
      const roleNames = input.roles ? [...new Set(input.roles)] : undefined;
      const roleIds = roleNames ? await deps.permissions.requireRoles(roleNames) : undefined;
      const losesAdmin =
        before.roles.includes('admin') && ((roleNames && !roleNames.includes('admin')) || (input.status === 'disabled' && before.status === 'active'));
      if (losesAdmin) await keepAnAdmin(id);
      if (input.status === 'disabled' && actor.actorId === id) throw forbidden('you cannot disable your own account');
      if (input.password !== undefined) checkPasswordPolicy(input.password, before.username);
      const passwordHash = input.password !== undefined ? await hashPassword(input.password) : undefined;
      const patch: Updateable<UsersTable> = { updated_at: toDbTime(deps.clock.now()) };
      if (email !== undefined) patch.email = email;
      if (input.displayName !== undefined) patch.display_name = input.displayName;
      if (input.status !== undefined) patch.status = input.status;
      if (passwordHash !== undefined) Object.assign(patch, { password_hash: passwordHash, failed_logins: 0, locked_until: null });
      if (input.mustChangePassword !== undefined) patch.must_change_password = input.mustChangePassword ? 1 : 0;
      await db
        .transaction()
        .execute(async (trx) => {
          await trx.updateTable('users').set(patch).where('id', '=', id).execute();
          if (roleIds) {
            await trx.deleteFrom('user_roles').where('user_id', '=', id).execute();
            if (roleIds.length) await trx.insertInto('user_roles').values(roleIds.map((role_id) => ({ user_id: id, role_id }))).execute();
          }
          const { password: _omitted, ...shown } = input;
          await deps.audit.record(
            {
              ...actor,
              action: 'user.update',
              target: `user:${before.username}`,
              result: 'success',
              details: { userId: id, ...shown, ...(input.password !== undefined ? { passwordChanged: true } : {}) },
            },
            trx,
          );
        })
        .catch(duplicateToConflict);
      await forget(id);
      if (passwordHash !== undefined || input.status === 'disabled') {
        await deps.revokeSessions(id, passwordHash !== undefined ? 'password-changed' : 'disabled');
      }
      return load(id);
    },

    async remove(actor, id) {
      const before = await load(id);
      if (actor.actorId === id) throw forbidden('you cannot delete your own account');
      if (before.roles.includes('admin')) await keepAnAdmin(id);
      await deps.revokeSessions(id, 'deleted');
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('users').where('id', '=', id).execute();
        await deps.audit.record({ ...actor, action: 'user.delete', target: `user:${before.username}`, result: 'success', details: { userId: id } }, trx);
      });
      await forget(id);
    },

    async credentials(username) {
      const r = await db
        .selectFrom('users')
        .select(['id', 'username', 'password_hash', 'status', 'failed_logins', 'locked_until', 'must_change_password'])
        .where('username', '=', normalizeUsername(username))
        .executeTakeFirst();
      return (
        r && {
          id: r.id,
          username: r.username,
          passwordHash: r.password_hash,
          status: r.status,
          failedLogins: r.failed_logins,
          lockedUntil: r.locked_until,
          mustChangePassword: r.must_change_password === 1,
        }
      );
    },

    forget,
  };
}
