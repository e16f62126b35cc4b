import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError, forbidden, unauthorized } from '../errors/appError.js';
import type { Actor } from '../services/actor.js';
import type { AuthService, Principal, RequestContext } from '../services/auth/authService.js';
import type { Permission } from '../services/permission/catalog.js';
import type { AuditLog } from '../services/system/auditLog.js';
import type { PerRequest } from './requestServices.js';

/**
 * Every API route declares what it needs in its config: `permission: 'public'` (no login),
 * `'authenticated'` (any logged-in user) or a catalog permission. A route under /api without a
 * declaration refuses to register, so nothing is left open by accident.
 */
export type RouteAccess = Permission | 'public' | 'authenticated';

declare module 'fastify' {
  interface FastifyContextConfig {
    permission?: RouteAccess;
    /** Reachable while the user still has to replace a one-time password. */
    allowPasswordChange?: boolean;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
}

export function requestContext(request: FastifyRequest): RequestContext {
  const ua = request.headers['user-agent'];
  return { ip: request.ip ?? null, userAgent: typeof ua === 'string' ? ua : null };
}

export function actorOf(request: FastifyRequest): Actor {
  const p = request.principal;
  return p ? { actorId: p.userId, actor: p.username, ip: request.ip ?? null } : { actorId: null, actor: 'anonymous', ip: request.ip ?? null };
}

/** The acting user; only for routes that are not public. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw unauthorized();
  return request.principal;
}

/** A refusal for a missing permission; the guard audits it (`access.denied`) wherever it is thrown. */
const DENIED = Symbol('permission denied');
function denied(permission: Permission): AppError {
  return Object.assign(forbidden(`permission "${permission}" required`, { required: permission }), { [DENIED]: permission });
}

/**
 * For a route whose permission depends on its input (a restore into the live database needs
 * `ops:restore-live` on top of the route's `ops:restore`): 403 unless the caller holds `permission`.
 */
export function requirePermission(request: FastifyRequest, permission: Permission): void {
  if (!principalOf(request).permissions.has(permission)) throw denied(permission);
}

export function installAuthGuard(app: FastifyInstance, deps: { auth: PerRequest<AuthService>; audit: PerRequest<AuditLog> }): void {
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/')) return;
    if (!route.config?.permission) throw new Error(`route ${String(route.method)} ${route.url} declares no permission`);
  });

  // Authentication and the route's permission come first, in onRequest: before the body is read,
  // parsed or validated, so a caller without a valid token learns nothing from validation errors
  // (401, never 400/413/415), and one without the permission gets 403 whatever it sent.
  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config.permission;
    if (!access || access === 'public') return;
    const header = request.headers.authorization;
    const m = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!m) throw unauthorized('send an access token: Authorization: Bearer <token>');
    const principal = await deps.auth(request).authenticate(m[1]!);
    request.principal = principal;
    if (principal.mustChangePassword && !request.routeOptions.config.allowPasswordChange) {
      throw new AppError('PASSWORD_CHANGE_REQUIRED', 'change your one-time password first: POST /api/auth/password');
    }
    if (access === 'authenticated' || principal.permissions.has(access)) return;
    throw denied(access);
  });

  // Every refusal for a missing permission (the route's own, or one a handler requires for its
  // input) is audited, reads included: an authenticated account probing what it may not see is
  // as much a finding as one trying to change it.
  app.addHook('onError', async (request, _reply, error) => {
    const required = (error as { [DENIED]?: Permission })[DENIED];
    if (!required || !request.principal) return;
    await deps
      .audit(request)
      .record({
        ...actorOf(request),
        action: 'access.denied',
        target: `${request.method} ${request.routeOptions.url ?? request.url}`,
        result: 'denied',
        details: { required },
      })
      .catch((e: unknown) => request.log.error({ err: (e as Error).message }, 'could not audit a denied request'));
  });
}
