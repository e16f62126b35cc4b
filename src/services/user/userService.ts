import { conflict, forbidden, invalid, notFound } from '../../errors/appError.js';
import type { Cache } from '../../infra/cache/cache.js';
import type { Clock } from '../../infra/clock.js';
import type { Database, Executor } from '../../infra/db/database.js';
import type { Selectable, Updateable } from 'kysely';
import type { UsersTable } from '../../infra/db/schema.js';
import { containsPattern } from '../../infra/db/like.js';
import { isoTime, toDbTime } from '../../infra/db/time.js';
import { isUniqueViolation } from '../../infra/db/uniqueViolation.js';
import type { Actor } from '../actor.js';
import { checkPasswordPolicy, hashPassword } from '../auth/passwords.js';
import type { PermissionService } from '../permission/contract.js';
import { auditDenials } from '../permission/permissionService.js';
import type { AuditLog } from '../system/contract.js';
import type { User, UserService } from './contract.js';
import { normalizeEmail, normalizeUsername, USERNAME_RE } from './usernames.js';

/** The user module's cache keys: the cached view of each user. */
const userCacheKey = (id: number) => `user:${id}`;

export function createUserService(deps: {
  database: Database;
  cache: Cache;
  permissions: PermissionService;
  audit: AuditLog;
  clock: Clock;
  cacheTtlSeconds: number;
  /** Revokes every session of a user (password reset, disable). */
  revokeSessions: (userId: number, reason: string) => Promise<void>;
  /** Forgets failed logins of a username (a reset password unlocks the account), in the caller's transaction. */
  clearLoginFailures: (username: string) => Promise<void>;
  /** Drops what other modules cached from these users' rows (authentication's cached principals). */
  forgetDerived: (ids: number[]) => Promise<void>;
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

  async function forget(...ids: number[]): Promise<void> {
    if (!ids.length) return;
    await Promise.all([deps.cache.del(...ids.map(userCacheKey)).catch(cacheError), deps.forgetDerived(ids)]);
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

  /**
   * Refuses a change that takes `userId` out of the active administrators when it is the last one.
   * Runs inside the change's transaction (SPEC SEC-5): on MySQL the `admin` role row is locked
   * first, so concurrent demotions queue and each sees the others' outcome (current reads); SQLite
   * runs one transaction at a time.
   */
  async function keepAnAdmin(trx: Executor, userId: number): Promise<void> {
    const mysql = deps.database.dialect === 'mysql';
    const lockRole = trx.selectFrom('roles').select('id').where('name', '=', 'admin');
    await (mysql ? lockRole.forUpdate() : lockRole).execute();
    const q = trx
      .selectFrom('users')
      .innerJoin('user_roles', 'user_roles.user_id', 'users.id')
      .innerJoin('roles', 'roles.id', 'user_roles.role_id')
      .select('users.id')
      .where('roles.name', '=', 'admin')
      .where('users.status', '=', 'active');
    const admins = await (mysql ? q.forUpdate() : q).execute();
    if (admins.some((a) => a.id === userId) && !admins.some((a) => a.id !== userId)) {
      throw conflict('this is the last active administrator; make another user admin first');
    }
  }

  /**
   * SPEC SEC-4: an account is changed only by someone holding every permission it holds, and
   * roles are granted only by someone holding every permission they carry.
   */
  async function authorizeChange(trx: Executor, actor: Actor, targetId: number | undefined, grantedRoleIds: number[] | undefined): Promise<void> {
    if (actor.actorId === null) return;
    if (targetId !== undefined) {
      const held = await deps.permissions.permissionsOfUser(targetId, trx);
      await deps.permissions.requireHeld(actor, held, 'you cannot change an account that holds permissions you do not hold', trx);
    }
    if (grantedRoleIds?.length) {
      const granted = await deps.permissions.permissionsOfRoles(grantedRoleIds, trx);
      await deps.permissions.requireHeld(actor, granted, 'you cannot grant a role with permissions you do not hold', trx);
    }
  }

  /** Unique-key violations that slipped past the pre-check (a concurrent insert) become 409. */
  function duplicateToConflict(e: unknown): never {
    const err = e as { message?: string };
    if (isUniqueViolation(e)) {
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
      const name = normalizeUsername(username);
      if (!USERNAME_RE.test(name)) return undefined;
      const row = await db.selectFrom('users').select('id').where('username', '=', name).executeTakeFirst();
      return row ? load(row.id) : undefined;
    },

    async create(actor, input) {
      const username = normalizeUsername(input.username);
      if (!USERNAME_RE.test(username)) {
        throw invalid('username must be 3 to 64 characters: letters, digits, "_", "." or "-", starting with a letter or digit', { field: 'username' });
      }
      const email = normalizeEmail(input.email);
      checkPasswordPolicy(input.password, username);
      await uniqueness(username, email);
      const roleNames = [...new Set(input.roles ?? ['viewer'])];
      const roleIds = await deps.permissions.requireRoles(roleNames);
      const passwordHash = await hashPassword(input.password);
      const now = toDbTime(deps.clock.now());
      const id = await auditDenials(deps.audit, { actor, action: 'user.create', target: `user:${username}` }, () =>
        db.transaction().execute(async (trx) => {
          await authorizeChange(trx, actor, undefined, roleIds);
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
          if (roleIds.length)
            await trx
              .insertInto('user_roles')
              .values(roleIds.map((role_id) => ({ user_id: userId, role_id })))
              .execute();
          await deps.audit.record({ ...actor, action: 'user.create', target: `user:${username}`, result: 'success', details: { userId, email, roles: roleNames } }, trx);
          return userId;
        }),
      ).catch(duplicateToConflict);
      return load(id);
    },

    async update(actor, id, input) {
      const before = await load(id);
      const email = input.email !== undefined ? normalizeEmail(input.email) : undefined;
      if (email && email !== before.email) await uniqueness(undefined, email, id);
      const roleNames = input.roles ? [...new Set(input.roles)] : undefined;
      const roleIds = roleNames ? await deps.permissions.requireRoles(roleNames) : undefined;
      const mayLoseAdmin = (roleNames !== undefined && !roleNames.includes('admin')) || input.status === 'disabled';
      const reset = input.password !== undefined;
      // A password set by someone else is known to them: it is one-time (the owner must replace it
      // at the next login). Only the trusted shell (CLI `admin reset-password --password-stdin`) may set a lasting one.
      const person = actor.actorId !== null;
      if (reset && person && input.mustChangePassword === false) {
        throw invalid('a password reset by another user is always one-time; omit mustChangePassword', { field: 'mustChangePassword' });
      }
      const passwordHash = await auditDenials(deps.audit, { actor, action: 'user.update', target: `user:${before.username}` }, async () => {
        if (input.status === 'disabled' && actor.actorId === id) throw forbidden('you cannot disable your own account');
        if (reset && actor.actorId === id) {
          throw forbidden('change your own password with POST /api/auth/password (it needs your current password)', { use: 'POST /api/auth/password' });
        }
        if (reset) await deps.permissions.requireHeld(actor, ['users:reset-password'], "resetting another user's password needs users:reset-password");
        // checked now, and again inside the transaction after the last-administrator guard (a 409
        // there must not tell an unauthorised caller who the last administrator is)
        await authorizeChange(db, actor, id, roleIds);
        if (!reset) return undefined;
        checkPasswordPolicy(input.password!, before.username);
        return hashPassword(input.password!);
      });
      const patch: Updateable<UsersTable> = { updated_at: toDbTime(deps.clock.now()) };
      if (email !== undefined) patch.email = email;
      if (input.displayName !== undefined) patch.display_name = input.displayName;
      if (input.status !== undefined) patch.status = input.status;
      if (passwordHash !== undefined) patch.password_hash = passwordHash;
      if (input.mustChangePassword !== undefined) patch.must_change_password = input.mustChangePassword ? 1 : 0;
      if (reset && person) patch.must_change_password = 1;
      await auditDenials(deps.audit, { actor, action: 'user.update', target: `user:${before.username}` }, () =>
        db.transaction().execute(async (trx) => {
          if (mayLoseAdmin) await keepAnAdmin(trx, id);
          await authorizeChange(trx, actor, id, roleIds);
          await trx.updateTable('users').set(patch).where('id', '=', id).execute();
          if (roleIds) {
            await trx.deleteFrom('user_roles').where('user_id', '=', id).execute();
            if (roleIds.length)
              await trx
                .insertInto('user_roles')
                .values(roleIds.map((role_id) => ({ user_id: id, role_id })))
                .execute();
          }
          const { password: _omitted, ...shown } = input;
          await deps.audit.record(
            {
              ...actor,
              action: 'user.update',
              target: `user:${before.username}`,
              result: 'success',
              details: { userId: id, ...shown, ...(reset ? { passwordReset: true, mustChangePassword: patch.must_change_password === 1 } : {}) },
            },
            trx,
          );
        }),
      ).catch(duplicateToConflict);
      await forget(id);
      // after the commit: in split mode the auth module writes its own tables in its own transaction
      if (passwordHash !== undefined) await deps.clearLoginFailures(before.username);
      if (passwordHash !== undefined || input.status === 'disabled') {
        await deps.revokeSessions(id, passwordHash !== undefined ? 'password-reset' : 'disabled');
      }
      return load(id);
    },

    async remove(actor, id) {
      const before = await load(id);
      await auditDenials(deps.audit, { actor, action: 'user.delete', target: `user:${before.username}` }, async () => {
        if (actor.actorId === id) throw forbidden('you cannot delete your own account');
        await authorizeChange(db, actor, id, undefined);
        await db.transaction().execute(async (trx) => {
          await keepAnAdmin(trx, id);
          await authorizeChange(trx, actor, id, undefined);
          await trx.deleteFrom('users').where('id', '=', id).execute();
          await deps.audit.record({ ...actor, action: 'user.delete', target: `user:${before.username}`, result: 'success', details: { userId: id } }, trx);
        });
      });
      // its sessions went with it (refresh tokens cascade); the cached principal goes now
      await forget(id);
    },

    async credentials(username) {
      const name = normalizeUsername(username);
      if (!USERNAME_RE.test(name)) return undefined;
      const r = await db.selectFrom('users').select(['id', 'username', 'password_hash', 'status', 'must_change_password']).where('username', '=', name).executeTakeFirst();
      return (
        r && {
          id: r.id,
          username: r.username,
          passwordHash: r.password_hash,
          status: r.status,
          mustChangePassword: r.must_change_password === 1,
        }
      );
    },

    async account(id) {
      const r = await db.selectFrom('users').select(['username', 'status', 'must_change_password']).where('id', '=', id).executeTakeFirst();
      return r && { username: r.username, status: r.status, mustChangePassword: r.must_change_password === 1 };
    },

    async roleIdsOf(id) {
      return (await db.selectFrom('user_roles').select('role_id').where('user_id', '=', id).orderBy('role_id').execute()).map((r) => r.role_id);
    },

    async recordLogin(id, at) {
      await db
        .updateTable('users')
        .set({ last_login_at: toDbTime(at) })
        .where('id', '=', id)
        .execute();
    },

    async setOwnPassword(id, passwordHash, actor) {
      await db.transaction().execute(async (trx) => {
        const user = await trx.selectFrom('users').select('username').where('id', '=', id).executeTakeFirst();
        if (!user) throw notFound('user');
        await trx
          .updateTable('users')
          .set({ password_hash: passwordHash, must_change_password: 0, updated_at: toDbTime(deps.clock.now()) })
          .where('id', '=', id)
          .execute();
        await deps.audit.record({ ...actor, action: 'auth.password', target: `user:${user.username}`, result: 'success' }, trx);
      });
    },

    forget,

    async ids() {
      return (await db.selectFrom('users').select('id').execute()).map((r) => r.id);
    },
  };
}
