import { Type } from '@fastify/type-provider-typebox';
import type { Permission } from '../permission/catalog.js';
import { PASSWORD_MAX } from './passwords.js';

/**
 * The auth module's contract: its interface and its route schemas (/api/auth).
 *
 * Authentication (SPEC PLAT-2): password login, short-lived access tokens, rotating refresh tokens
 * with reuse detection, logout that revokes at once, login log, account lockout after repeated
 * failures and a per-IP limit on failed attempts. It owns the tables `refresh_tokens`,
 * `login_log` and `login_throttle` and the cache keys `authz:user:<id>` (a user's principal),
 * `authz:revoked:<session>` and `login:*`; what it needs about users it asks the user module.
 */
export interface Principal {
  userId: number;
  username: string;
  roles: string[];
  permissions: ReadonlySet<Permission>;
  sessionId: string;
  mustChangePassword: boolean;
}

export interface Session {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  passwordChangeRequired: boolean;
}

export interface RequestContext {
  ip: string | null;
  userAgent: string | null;
}

export interface AuthService {
  login(input: { username: string; password: string }, ctx: RequestContext): Promise<Session>;
  refresh(refreshToken: string, ctx: RequestContext): Promise<Session>;
  logout(principal: Principal, ctx: RequestContext): Promise<void>;
  /**
   * Ends the session a refresh token belongs to (the browser's logout, which holds only its refresh
   * cookie). A token that is malformed, unknown or already revoked ends nothing: false.
   */
  logoutByRefreshToken(refreshToken: string, ctx: RequestContext): Promise<boolean>;
  changePassword(principal: Principal, input: { currentPassword: string; newPassword: string }, ctx: RequestContext): Promise<void>;
  /** Turns a bearer access token into the acting user; 401 when invalid, expired or revoked. */
  authenticate(accessToken: string): Promise<Principal>;
  revokeSessions(userId: number, reason: string, exceptSessionId?: string): Promise<void>;
  /** The caller's own active sessions (个人中心), newest first; `current` marks the one asking. */
  listOwnSessions(principal: Principal): Promise<SessionInfo[]>;
  /** Ends one of the caller's own sessions (audited); NOT_FOUND for another user's or an ended one. */
  endOwnSession(principal: Principal, sessionId: string, ctx: RequestContext): Promise<void>;
  /** Forgets the failed logins counted against a username (e.g. after an administrator reset its password). */
  clearLoginFailures(username: string): Promise<void>;
  /** Drops the cached principals of users whose rows changed (the user service calls it from `forget`). */
  forgetPrincipals(userIds: readonly number[]): Promise<void>;
}

/** One active session (a refresh-token family): where and when it started, when it was last refreshed. */
export interface SessionInfo {
  id: string;
  current: boolean;
  startedAt: string;
  lastRefreshedAt: string;
  expiresAt: string;
  ip: string | null;
  userAgent: string | null;
}

export const SessionInfoSchema = Type.Object({
  id: Type.String(),
  current: Type.Boolean({ description: 'the session this request belongs to' }),
  startedAt: Type.String({ format: 'date-time' }),
  lastRefreshedAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.String({ format: 'date-time' }),
  ip: Type.Union([Type.String(), Type.Null()]),
  userAgent: Type.Union([Type.String(), Type.Null()]),
});

/** A new session; `refreshToken` is left out of the body when it went into the `mcp_refresh` cookie. */
export const SessionSchema = Type.Object({
  accessToken: Type.String(),
  refreshToken: Type.Optional(Type.String()),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer(),
  passwordChangeRequired: Type.Boolean(),
});

/** The caller as the console shows it (GET /api/auth/me, and `user` in the session probe). */
export const MeSchema = Type.Object({
  id: Type.Integer(),
  username: Type.String(),
  roles: Type.Array(Type.String()),
  permissions: Type.Array(Type.String()),
  mustChangePassword: Type.Boolean(),
});

export const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX }),
    session: Type.Optional(Type.Literal('cookie', { description: 'browsers: the refresh token goes into the httpOnly cookie mcp_refresh (Path=/api/auth), not into the body' })),
  },
  { additionalProperties: false },
);

/** The refresh token, or nothing when the `mcp_refresh` cookie carries it. */
export const RefreshBody = Type.Optional(Type.Object({ refreshToken: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }, { additionalProperties: false }));

/** Bodyless cookie routes (session probe, logout) take `{}`: the JSON content type is their CSRF guard. */
export const EmptyBody = Type.Optional(Type.Object({}, { additionalProperties: false }));

/** The console's session probe: a session from the refresh cookie, or none — never an error for "no session". */
export const SessionProbeSchema = Type.Union([
  Type.Object({
    authenticated: Type.Literal(true),
    accessToken: Type.String(),
    tokenType: Type.Literal('Bearer'),
    expiresIn: Type.Integer(),
    user: MeSchema,
  }),
  Type.Object({ authenticated: Type.Literal(false) }),
]);

export const PasswordChangeBody = Type.Object(
  { currentPassword: Type.String({ minLength: 1, maxLength: PASSWORD_MAX }), newPassword: Type.String({ minLength: 1, maxLength: PASSWORD_MAX }) },
  { additionalProperties: false },
);
