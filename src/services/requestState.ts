import type { Database } from '../infra/db/database.js';
import type { Actor } from './actor.js';
import type { AuthService, Principal, RequestContext } from './auth/contract.js';
import type { Permission } from './permission/catalog.js';
import type { PermissionService } from './permission/contract.js';
import type { AuditLog, SettingsService } from './system/contract.js';
import type { UserService } from './user/contract.js';
import type { UserPeer } from './user/peer.js';

/** The service modules, wired over one set of adapters, and the database adapter they use. */
export interface Services {
  database: Database;
  audit: AuditLog;
  permissions: PermissionService;
  users: UserService;
  auth: AuthService;
  settings: SettingsService;
  /**
   * The user module as the other modules reach it: the local service, or in split mode (this
   * process does not serve it) its HTTP client (see user/peer.ts).
   */
  userPeer: UserPeer;
}

/**
 * Every API route declares what it needs in its config: `permission: 'public'` (no login),
 * `'authenticated'` (any logged-in user) or a catalog permission. A route under /api without a
 * declaration refuses to register, so nothing is left open by accident.
 */
export type RouteAccess = Permission | 'public' | 'authenticated';

/**
 * What a route may rely on: its config declares its access, and the request carries its services
 * and its caller. The HTTP server (src/server) sets all of it before a handler runs — the services
 * and helpers as request decorators, the principal in the guard — so routes import nothing from it.
 */
declare module 'fastify' {
  interface FastifyContextConfig {
    permission?: RouteAccess;
    /** Reachable while the user still has to replace a one-time password. */
    allowPasswordChange?: boolean;
  }
  interface FastifyRequest {
    /** The services this request uses: its traced wiring when its trace is recorded, the platform's otherwise. */
    readonly services: Services;
    /** The authenticated caller; set by the guard on every route that is not public. */
    principal?: Principal;
    /** Who acts, for the audit log: the principal, or `anonymous` on a public route. */
    readonly actor: Actor;
    /** The caller's address and user agent, for sessions and the audit log. */
    readonly requestContext: RequestContext;
    /** The acting user; 401 without one (only for routes that are not public). */
    requirePrincipal(): Principal;
    /**
     * For a route whose permission depends on its input (a restore into the live database needs
     * `ops:restore-live` on top of the route's `ops:restore`): 403 unless the caller holds
     * `permission`. The refusal is audited like the route's own (`access.denied`).
     */
    requirePermission(permission: Permission): void;
  }
}
