import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { AppError, forbidden, unauthorized } from '../errors/appError.js';
import type { Actor } from '../services/actor.js';
import type { Principal, RequestContext } from '../services/auth/contract.js';
import { bearerToken } from '../services/auth/tokens.js';
import type { Permission } from '../services/permission/catalog.js';
import '../services/requestState.js';

/**
 * The guarded API: authentication and each route's declared access (`config.permission`, see
 * services/requestState.ts), with its caller on the request (`request.principal`, `actor`,
 * `requestContext`, `requirePrincipal()`, `requirePermission()`). The guard is one encapsulated
 * plugin: its hooks apply to the routes registered inside it, whatever order the statements come in.
 */

/** Set on the guarded plugin's instance (and so on its children): routes under it are guarded. */
const GUARDED = 'apiGuarded';

/** A refusal for a missing permission; the guard audits it (`access.denied`) wherever it is thrown. */
const DENIED = Symbol('permission denied');
function denied(permission: Permission): AppError {
  return Object.assign(forbidden(`permission "${permission}" required`, { required: permission }), { [DENIED]: permission });
}

function actorOf(request: FastifyRequest): Actor {
  const p = request.principal;
  return p ? { actorId: p.userId, actor: p.username, ip: request.ip ?? null } : { actorId: null, actor: 'anonymous', ip: request.ip ?? null };
}

function requestContextOf(request: FastifyRequest): RequestContext {
  const ua = request.headers['user-agent'];
  return { ip: request.ip ?? null, userAgent: typeof ua === 'string' ? ua : null };
}

function requirePrincipal(this: FastifyRequest): Principal {
  if (!this.principal) throw unauthorized();
  return this.principal;
}

function requirePermission(this: FastifyRequest, permission: Permission): void {
  if (!this.requirePrincipal().permissions.has(permission)) throw denied(permission);
}

/**
 * Every /api route must be registered inside the guarded API (`guardedApi`) and declare its
 * access, or it refuses to register, so nothing is left open by accident. Install first, on the
 * root instance: the check then covers every route registered after it, in any plugin.
 * `publicPrefixes` name the public static pages under /api (the API reference's files).
 */
export function refuseUnguardedApiRoutes(app: FastifyInstance, publicPrefixes: readonly string[] = []): void {
  app.addHook('onRoute', function (route) {
    if (!route.url.startsWith('/api/')) return;
    if (publicPrefixes.some((p) => route.url === p || route.url.startsWith(`${p}/`))) return;
    if (!this.hasDecorator(GUARDED)) throw new Error(`route ${String(route.method)} ${route.url} is outside the guarded API`);
    if (!route.config?.permission) throw new Error(`route ${String(route.method)} ${route.url} declares no permission`);
  });
}

/**
 * The guarded API as one encapsulated plugin: `routes` registers the route plugins inside it, so
 * the guard's hooks apply to them. Needs `request.services` (requestServices.ts) for
 * authentication and the audit log.
 */
export const guardedApi =
  (routes: (api: FastifyInstance) => Promise<void>): FastifyPluginAsync =>
  async (api) => {
    api.decorate(GUARDED, true);
    api.decorateRequest('principal', undefined);
    api.decorateRequest('actor', {
      getter: function (this: FastifyRequest) {
        return actorOf(this);
      },
    });
    api.decorateRequest('requestContext', {
      getter: function (this: FastifyRequest) {
        return requestContextOf(this);
      },
    });
    api.decorateRequest('requirePrincipal', requirePrincipal);
    api.decorateRequest('requirePermission', requirePermission);

    // Authentication and the route's permission come first, in onRequest: before the body is read,
    // parsed or validated, so a caller without a valid token learns nothing from validation errors
    // (401, never 400/413/415), and one without the permission gets 403 whatever it sent.
    api.addHook('onRequest', async (request) => {
      const access = request.routeOptions.config.permission;
      if (!access || access === 'public') return;
      const token = bearerToken(request.headers.authorization);
      if (!token) throw unauthorized('send an access token: Authorization: Bearer <token>');
      const principal = await request.services.auth.authenticate(token);
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
    api.addHook('onError', async (request, _reply, error) => {
      const required = (error as { [DENIED]?: Permission })[DENIED];
      if (!required || !request.principal) return;
      await request.services.audit
        .record({
          ...request.actor,
          action: 'access.denied',
          target: `${request.method} ${request.routeOptions.url ?? request.url}`,
          result: 'denied',
          details: { required },
        })
        .catch((e: unknown) => request.log.error({ err: (e as Error).message }, 'could not audit a denied request'));
    });

    await routes(api);
  };
