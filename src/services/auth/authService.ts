import { AppError, invalid, unauthorized } from '../../errors/appError.js';
import type { Cache } from '../../infra/cache/cache.js';
import type { Clock } from '../../infra/clock.js';
import type { Database, Executor } from '../../infra/db/database.js';
import { fromDbTime, toDbTime } from '../../infra/db/time.js';
import type { Actor } from '../actor.js';
import type { PermissionService } from '../permission/contract.js';
import type { AuditLog } from '../system/contract.js';
import type { UserPeer } from '../user/peer.js';
import { normalizeUsername } from '../user/usernames.js';
import type { AuthService, RequestContext, Session, SessionInfo } from './contract.js';
import { checkPasswordPolicy, decoyHash, hashPassword, verifyPassword } from './passwords.js';
import { newId, newRefreshToken, parseRefreshToken, refreshSecretMatches, type AccessTokens } from './tokens.js';

/**
 * A user as authentication caches it. Roles are kept by id: a role deleted and re-created under
 * the same name is another role, and grants nothing to holders of the old one (issue 9 A5).
 */
interface CachedPrincipal {
  username: string;
  status: 'active' | 'disabled';
  roleIds: number[];
  mustChangePassword: boolean;
}

/** Authentication's cache keys: each user's principal (from the user service), ended sessions. */
const principalCacheKey = (userId: number) => `authz:user:${userId}`;
const revokedKey = (sessionId: string) => `authz:revoked:${sessionId}`;

/** Parsed principals by their cached JSON text: the same few users call again and again. */
const parsedPrincipals = new Map<string, CachedPrincipal>();
function parsePrincipal(json: string): CachedPrincipal {
  let p = parsedPrincipals.get(json);
  if (!p) {
    p = JSON.parse(json) as CachedPrincipal;
    if (parsedPrincipals.size >= 1000) parsedPrincipals.clear();
    parsedPrincipals.set(json, p);
  }
  return p;
}
/** Login attempts from an address in the current minute, reserved before the password is checked. */
const ipAttemptsKey = (ip: string) => `login:attempts:ip:${ip}`;
/** Of those, the ones that succeeded (they give their reservation back). */
const ipSuccessesKey = (ip: string) => `login:successes:ip:${ip}`;
/** Failed logins older than this without a newer failure are forgotten. */
const FAILURE_MEMORY_MS = 24 * 3600 * 1000;
/** A reservation not settled within this time belonged to a process that died: it no longer counts. */
const PENDING_LAPSE_MS = 60_000;

export function createAuthService(deps: {
  database: Database;
  cache: Cache;
  /** The user module: the service in one process, its HTTP client in split mode. */
  users: UserPeer;
  permissions: PermissionService;
  audit: AuditLog;
  clock: Clock;
  tokens: AccessTokens;
  refreshTtlSeconds: number;
  maxFailedLogins: number;
  lockoutSeconds: number;
  ipFailuresPerMinute: number;
  cacheTtlSeconds: number;
  /**
   * False when the cache is private to this process while other processes end sessions and change
   * users (split mode on the embedded memory cache): revocations and principals are then read from
   * the database on every request.
   */
  cacheShared?: boolean;
  onCacheError?: (e: unknown) => void;
  onLogin?: (success: boolean) => void;
}): AuthService {
  const { db } = deps.database;
  const { clock, cache } = deps;
  const cacheError = (e: unknown) => deps.onCacheError?.(e);
  const actorOf = (p: { userId: number; username: string }, ctx: RequestContext): Actor => ({ actorId: p.userId, actor: p.username, ip: ctx.ip });

  async function issue(userId: number, username: string, familyId: string, mustChangePassword: boolean, ctx: RequestContext) {
    const now = clock.now();
    const refresh = newRefreshToken();
    const row = {
      id: refresh.id,
      family_id: familyId,
      user_id: userId,
      token_hash: refresh.hash,
      expires_at: toDbTime(new Date(now.getTime() + deps.refreshTtlSeconds * 1000)),
      created_at: toDbTime(now),
      ip: ctx.ip?.slice(0, 64) ?? null,
      user_agent: ctx.userAgent?.slice(0, 255) ?? null,
    };
    const session: Session = {
      accessToken: await deps.tokens.sign({ userId, sessionId: familyId, username }, now),
      refreshToken: refresh.token,
      tokenType: 'Bearer',
      expiresIn: deps.tokens.ttlSeconds,
      passwordChangeRequired: mustChangePassword,
    };
    return { row, session };
  }

  /**
   * Reserves one login attempt for `username` before its password is checked (SPEC SEC-5). Under
   * a row lock (MySQL) or in SQLite's serial transaction, the attempt is counted as pending; while
   * the failures so far plus the attempts still being checked reach the limit, further attempts
   * are refused without hashing — so parallel guesses get no more checks than sequential ones.
   * Unknown usernames are counted the same way, so a lockout does not reveal which accounts exist.
   * A refusal for attempts in flight sets no lock: only settled failures lock an account.
   */
  async function reserveAttempt(username: string, now: Date): Promise<{ reserved: true } | { lockedUntil: Date } | { busy: true }> {
    const nowDb = toDbTime(now);
    const inserted = await db.insertInto('login_throttle').values({ username, failed_logins: 0, locked_until: null, last_failure_at: nowDb }).orIgnore().executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) {
      // a new name (often an unknown one): drop the rows nothing remembers any more, so guesses cannot grow the table
      await db
        .deleteFrom('login_throttle')
        .where('last_failure_at', '<', toDbTime(new Date(now.getTime() - FAILURE_MEMORY_MS)))
        .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', nowDb)]))
        .where('pending', '=', 0)
        .execute();
    }
    return db.transaction().execute(async (trx) => {
      const q = trx.selectFrom('login_throttle').select(['failed_logins', 'locked_until', 'last_failure_at', 'pending', 'pending_at']).where('username', '=', username);
      const row = await (deps.database.dialect === 'mysql' ? q.forUpdate() : q).executeTakeFirst();
      if (!row) {
        // pruned between the insert and this read: start afresh
        await trx.insertInto('login_throttle').values({ username, failed_logins: 0, locked_until: null, last_failure_at: nowDb, pending: 1, pending_at: nowDb }).execute();
        return { reserved: true } as const;
      }
      if (row.locked_until && fromDbTime(row.locked_until) > now) return { lockedUntil: fromDbTime(row.locked_until) };
      const failed = fromDbTime(row.last_failure_at).getTime() < now.getTime() - FAILURE_MEMORY_MS ? 0 : row.failed_logins;
      // a process that died while checking a password leaves its reservation: it lapses
      const pending = row.pending_at && fromDbTime(row.pending_at).getTime() > now.getTime() - PENDING_LAPSE_MS ? row.pending : 0;
      if (failed + pending >= deps.maxFailedLogins) return { busy: true } as const;
      await trx
        .updateTable('login_throttle')
        .set({ failed_logins: failed, pending: pending + 1, pending_at: nowDb })
        .where('username', '=', username)
        .execute();
      return { reserved: true } as const;
    });
  }

  /** Gives back a reserved attempt that could not be checked (a dependency failed): counted neither way. */
  async function releaseAttempt(username: string): Promise<void> {
    await db.transaction().execute(async (trx) => {
      const q = trx.selectFrom('login_throttle').select('pending').where('username', '=', username);
      const row = await (deps.database.dialect === 'mysql' ? q.forUpdate() : q).executeTakeFirst();
      if (row && row.pending > 0)
        await trx
          .updateTable('login_throttle')
          .set({ pending: row.pending - 1 })
          .where('username', '=', username)
          .execute();
    });
  }

  /**
   * Settles a reserved attempt: a success clears the failures, a failure is counted and locks the
   * name when it reaches the limit. Returns the lock's end when this failure set one.
   */
  async function settleAttempt(username: string, ok: boolean, now: Date, trx?: Executor): Promise<Date | undefined> {
    const settle = async (t: Executor) => {
      const q = t.selectFrom('login_throttle').select(['failed_logins', 'pending']).where('username', '=', username);
      const row = await (deps.database.dialect === 'mysql' ? q.forUpdate() : q).executeTakeFirst();
      if (!row) return undefined;
      const pending = Math.max(0, row.pending - 1);
      if (ok) {
        await t.updateTable('login_throttle').set({ failed_logins: 0, locked_until: null, pending }).where('username', '=', username).execute();
        return undefined;
      }
      const failed = row.failed_logins + 1;
      const lockedUntil = failed >= deps.maxFailedLogins ? new Date(now.getTime() + deps.lockoutSeconds * 1000) : undefined;
      await t
        .updateTable('login_throttle')
        .set({ failed_logins: lockedUntil ? 0 : failed, locked_until: lockedUntil ? toDbTime(lockedUntil) : null, pending, last_failure_at: toDbTime(now) })
        .where('username', '=', username)
        .execute();
      return lockedUntil;
    };
    return trx ? settle(trx) : db.transaction().execute(settle);
  }

  async function clearLoginFailures(username: string): Promise<void> {
    await db.updateTable('login_throttle').set({ failed_logins: 0, locked_until: null }).where('username', '=', username).execute();
  }

  /** Reserves an attempt for the address; false when it is past the per-minute limit. A cache outage lifts the limit. */
  async function reserveIpAttempt(ip: string): Promise<boolean> {
    try {
      const attempts = await cache.incr(ipAttemptsKey(ip), 60);
      const successes = Number((await cache.get(ipSuccessesKey(ip))) ?? 0);
      // a success counter from an older window than the attempts' gives no credit
      const failures = successes <= attempts ? attempts - successes : attempts;
      return failures <= deps.ipFailuresPerMinute;
    } catch (e) {
      cacheError(e);
      return true;
    }
  }

  async function failLogin(userId: number | null, username: string, reason: string, ctx: RequestContext, lockUntil?: string) {
    const now = toDbTime(clock.now());
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('login_log')
        .values({ user_id: userId, username: username.slice(0, 64), ip: ctx.ip, user_agent: ctx.userAgent?.slice(0, 255) ?? null, success: 0, reason, created_at: now })
        .execute();
      await deps.audit.record(
        {
          actorId: userId,
          actor: username.slice(0, 64) || 'anonymous',
          ip: ctx.ip,
          action: 'auth.login',
          target: `user:${username.slice(0, 64)}`,
          result: 'failure',
          details: { reason, ...(lockUntil ? { lockedUntil: lockUntil } : {}) },
        },
        trx,
      );
    });
    deps.onLogin?.(false);
  }

  async function loadPrincipal(userId: number): Promise<CachedPrincipal | undefined> {
    const user = await deps.users.account(userId);
    if (!user) return undefined;
    return { username: user.username, status: user.status, roleIds: await deps.users.roleIdsOf(userId), mustChangePassword: user.mustChangePassword };
  }

  async function sessionRevokedInDb(sessionId: string): Promise<boolean> {
    const row = await db.selectFrom('refresh_tokens').select('id').where('family_id', '=', sessionId).where('revoked_at', 'is not', null).limit(1).executeTakeFirst();
    return row !== undefined;
  }

  async function revokeFamilies(familyIds: string[], reason: string): Promise<void> {
    if (!familyIds.length) return;
    await db
      .updateTable('refresh_tokens')
      .set({ revoked_at: toDbTime(clock.now()), revoke_reason: reason })
      .where('family_id', 'in', familyIds)
      .where('revoked_at', 'is', null)
      .execute();
    for (const f of familyIds) await cache.set(revokedKey(f), reason, deps.tokens.ttlSeconds + 60).catch(cacheError);
  }

  async function revokeSessions(userId: number, reason: string, exceptSessionId?: string): Promise<void> {
    let q = db.selectFrom('refresh_tokens').select('family_id').distinct().where('user_id', '=', userId).where('revoked_at', 'is', null);
    if (exceptSessionId) q = q.where('family_id', '!=', exceptSessionId);
    await revokeFamilies(
      (await q.execute()).map((r) => r.family_id),
      reason,
    );
    await cache.del(principalCacheKey(userId)).catch(cacheError);
  }

  return {
    async login({ username: given, password }, ctx) {
      // the user module's circuit is open (split mode): refuse before any attempt is counted or stored
      deps.users.ensureAvailable?.();
      const username = normalizeUsername(given).slice(0, 64);
      if (ctx.ip && !(await reserveIpAttempt(ctx.ip))) {
        await failLogin(null, username, 'rate-limited', ctx);
        throw new AppError('RATE_LIMITED', 'too many failed logins from this address; wait a minute', { retryAfterSeconds: 60 });
      }
      const now = clock.now();
      const reserved = await reserveAttempt(username, now);
      if ('lockedUntil' in reserved) {
        await failLogin(null, username, 'locked', ctx, toDbTime(reserved.lockedUntil));
        const retryAfterSeconds = Math.max(1, Math.ceil((reserved.lockedUntil.getTime() - now.getTime()) / 1000));
        throw new AppError('LOCKED', `account locked after repeated failed logins; try again in ${Math.ceil(retryAfterSeconds / 60)} min`, {
          retryAfterSeconds,
        });
      }
      if ('busy' in reserved) {
        await failLogin(null, username, 'busy', ctx);
        throw new AppError('RATE_LIMITED', 'too many sign-in attempts for this account at once; try again in a moment', { retryAfterSeconds: 1 });
      }
      // Unknown, wrong password and disabled answer alike (401, same message, one argon2 check each).
      let creds: Awaited<ReturnType<typeof deps.users.credentials>>;
      let passwordOk: boolean;
      try {
        creds = await deps.users.credentials(username);
        passwordOk = await verifyPassword(creds?.passwordHash ?? (await decoyHash()), password);
      } catch (e) {
        // the user module (or the database) failed: the attempt was never checked, so it is not a
        // failure — neither for the account nor for the address (an outage must not rate-limit everyone after it)
        await releaseAttempt(username).catch(() => undefined);
        if (ctx.ip) await cache.incr(ipSuccessesKey(ctx.ip), 60).catch(cacheError);
        throw e;
      }
      if (!creds || !passwordOk || creds.status !== 'active') {
        const lockedUntil = await settleAttempt(username, false, now);
        const lock = lockedUntil ? toDbTime(lockedUntil) : null;
        const reason = !creds ? 'unknown-user' : !passwordOk ? 'bad-password' : 'disabled';
        await failLogin(creds?.id ?? null, username, lock ? `${reason}-locked` : reason, ctx, lock ?? undefined);
        throw unauthorized('invalid username or password');
      }
      const { row, session } = await issue(creds.id, creds.username, newId(), creds.mustChangePassword, ctx);
      await db.transaction().execute(async (trx) => {
        await settleAttempt(creds.username, true, now, trx);
        await trx.insertInto('refresh_tokens').values(row).execute();
        await trx
          .insertInto('login_log')
          .values({ user_id: creds.id, username: creds.username, ip: ctx.ip, user_agent: row.user_agent, success: 1, reason: 'ok', created_at: toDbTime(now) })
          .execute();
        await deps.audit.record(
          {
            ...actorOf({ userId: creds.id, username: creds.username }, ctx),
            action: 'auth.login',
            target: `user:${creds.username}`,
            result: 'success',
            details: { session: row.family_id },
          },
          trx,
        );
      });
      deps.onLogin?.(true);
      // the user module's own write, after the session committed
      await deps.users.recordLogin(creds.id, now);
      if (ctx.ip) await cache.incr(ipSuccessesKey(ctx.ip), 60).catch(cacheError);
      await deps.users.forget(creds.id);
      return session;
    },

    async refresh(refreshToken, ctx) {
      const { id, secret } = parseRefreshToken(refreshToken);
      const row = await db.selectFrom('refresh_tokens').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row || !refreshSecretMatches(secret, row.token_hash)) throw unauthorized('invalid refresh token');
      const user = await deps.users.account(row.user_id);
      const actor: Actor = { actorId: row.user_id, actor: user?.username ?? 'unknown', ip: ctx.ip };
      const reuse = async () => {
        await revokeFamilies([row.family_id], 'reuse-detected');
        await deps.audit.record({ ...actor, action: 'auth.refresh', target: `session:${row.family_id}`, result: 'failure', details: { reason: 'reuse-detected' } });
        throw unauthorized('refresh token already used; the session has been ended for safety, log in again');
      };
      if (row.revoked_at) throw unauthorized('session ended; log in again');
      if (row.replaced_by) return reuse();
      if (fromDbTime(row.expires_at) <= clock.now()) throw unauthorized('refresh token expired; log in again');
      if (user?.status !== 'active') {
        await revokeFamilies([row.family_id], 'user-inactive');
        throw unauthorized('account disabled or deleted');
      }
      const next = await issue(row.user_id, user.username, row.family_id, user.mustChangePassword, ctx);
      const rotated = await db.transaction().execute(async (trx) => {
        const res = await trx
          .updateTable('refresh_tokens')
          .set({ replaced_by: next.row.id })
          .where('id', '=', id)
          .where('replaced_by', 'is', null)
          .where('revoked_at', 'is', null)
          .executeTakeFirst();
        if (Number(res.numUpdatedRows) !== 1) return false;
        await trx.insertInto('refresh_tokens').values(next.row).execute();
        await deps.audit.record({ ...actor, action: 'auth.refresh', target: `session:${row.family_id}`, result: 'success' }, trx);
        return true;
      });
      if (!rotated) return reuse();
      return next.session;
    },

    async logoutByRefreshToken(refreshToken, ctx) {
      let m: { id: string; secret: string } | undefined;
      try {
        m = parseRefreshToken(refreshToken);
      } catch {
        return false;
      }
      const row = await db.selectFrom('refresh_tokens').selectAll().where('id', '=', m.id).executeTakeFirst();
      if (!row || !refreshSecretMatches(m.secret, row.token_hash) || row.revoked_at) return false;
      await revokeFamilies([row.family_id], 'logout');
      const user = await deps.users.account(row.user_id);
      await deps.audit.record({
        actorId: row.user_id,
        actor: user?.username ?? 'unknown',
        ip: ctx.ip,
        action: 'auth.logout',
        target: `session:${row.family_id}`,
        result: 'success',
      });
      return true;
    },

    async logout(principal, ctx) {
      await revokeFamilies([principal.sessionId], 'logout');
      await deps.audit.record({ ...actorOf(principal, ctx), action: 'auth.logout', target: `session:${principal.sessionId}`, result: 'success' });
    },

    async changePassword(principal, input, ctx) {
      const creds = await deps.users.credentials(principal.username);
      if (!creds) throw unauthorized();
      if (!(await verifyPassword(creds.passwordHash, input.currentPassword))) {
        await deps.audit.record({
          ...actorOf(principal, ctx),
          action: 'auth.password',
          target: `user:${principal.username}`,
          result: 'failure',
          details: { reason: 'bad-current-password' },
        });
        throw invalid('the current password is wrong', { field: 'currentPassword' });
      }
      if (input.currentPassword === input.newPassword) throw invalid('the new password must differ from the current one', { field: 'newPassword' });
      checkPasswordPolicy(input.newPassword, principal.username);
      const hash = await hashPassword(input.newPassword);
      await deps.users.setOwnPassword(principal.userId, hash, actorOf(principal, ctx));
      await revokeSessions(principal.userId, 'password-changed', principal.sessionId);
      await deps.users.forget(principal.userId);
    },

    async authenticate(accessToken) {
      const claims = await deps.tokens.verify(accessToken, clock.now());
      const key = principalCacheKey(claims.userId);
      let cached: CachedPrincipal | undefined;
      let revoked: boolean | undefined;
      // After the cache may have lost writes (an error, a reconnect, a Sentinel failover), a missing
      // revocation marker or a stale principal proves nothing: the database decides until every
      // access token issued before it has expired.
      const disrupted = cache.disruptedAt();
      const trustCache = deps.cacheShared !== false && (disrupted === null || Date.now() - disrupted > (deps.tokens.ttlSeconds + 60) * 1000);
      if (trustCache)
        try {
          const [p, r] = await cache.mget([key, revokedKey(claims.sessionId)]);
          if (r) revoked = true;
          else if (p) {
            revoked = false;
            cached = parsePrincipal(p);
            if (!Array.isArray(cached.roleIds)) cached = undefined; // written by an older version
          }
        } catch (e) {
          cacheError(e);
        }
      if (revoked === undefined) revoked = await sessionRevokedInDb(claims.sessionId);
      if (revoked) throw new AppError('UNAUTHORIZED', 'session ended; log in again', { reason: 'revoked' });
      if (!cached) {
        cached = await loadPrincipal(claims.userId);
        if (cached) await cache.set(key, JSON.stringify(cached), deps.cacheTtlSeconds).catch(cacheError);
      }
      if (cached?.status !== 'active') throw new AppError('UNAUTHORIZED', 'account disabled or deleted', { reason: 'inactive' });
      const roles = await deps.permissions.resolveRoles(cached.roleIds);
      return {
        userId: claims.userId,
        username: cached.username,
        roles: roles.names,
        permissions: roles.permissions,
        sessionId: claims.sessionId,
        mustChangePassword: cached.mustChangePassword,
      };
    },

    revokeSessions,

    async listOwnSessions(principal) {
      const rows = await db
        .selectFrom('refresh_tokens')
        .select(['family_id', 'created_at', 'expires_at', 'ip', 'user_agent'])
        .where('user_id', '=', principal.userId)
        .where('revoked_at', 'is', null)
        .orderBy('created_at', 'asc')
        .execute();
      const now = clock.now();
      const families = new Map<string, SessionInfo>();
      for (const r of rows) {
        const at = fromDbTime(r.created_at).toISOString();
        const f = families.get(r.family_id);
        if (!f) {
          families.set(r.family_id, {
            id: r.family_id,
            current: r.family_id === principal.sessionId,
            startedAt: at,
            lastRefreshedAt: at,
            expiresAt: fromDbTime(r.expires_at).toISOString(),
            ip: r.ip,
            userAgent: r.user_agent,
          });
          continue;
        }
        // rows come oldest first: the family's newest token says where and until when it lives
        Object.assign(f, { lastRefreshedAt: at, expiresAt: fromDbTime(r.expires_at).toISOString(), ip: r.ip ?? f.ip, userAgent: r.user_agent ?? f.userAgent });
      }
      return [...families.values()].filter((f) => new Date(f.expiresAt) > now).sort((a, b) => b.lastRefreshedAt.localeCompare(a.lastRefreshedAt));
    },

    async endOwnSession(principal, sessionId, ctx) {
      const own = await db
        .selectFrom('refresh_tokens')
        .select('id')
        .where('family_id', '=', sessionId)
        .where('user_id', '=', principal.userId)
        .where('revoked_at', 'is', null)
        .limit(1)
        .executeTakeFirst();
      if (!own) throw new AppError('NOT_FOUND', 'no such active session of yours');
      await revokeFamilies([sessionId], 'ended-by-user');
      await deps.audit.record({ ...actorOf(principal, ctx), action: 'auth.session.end', target: `session:${sessionId}`, result: 'success' });
    },
    clearLoginFailures,

    async forgetPrincipals(userIds) {
      if (userIds.length) await cache.del(...userIds.map(principalCacheKey)).catch(cacheError);
    },
  };
}
