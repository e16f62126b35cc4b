import { Type } from '@fastify/type-provider-typebox';
import type { Executor } from '../../infra/db/database.js';
import type { Actor } from '../actor.js';
import type { Permission } from './catalog.js';

/**
 * The permission module's contract: its interface and its route schemas (/api/roles,
 * /api/permissions); the catalog of permissions is catalog.ts. It owns the tables `roles`,
 * `permissions` and `role_permissions`. The permission checks (`requireHeld`,
 * `permissionsOfUser`, `permissionsOfRoles`) run in the caller's process, inside its transaction
 * (`trx`) — for every module, never over the network.
 */

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
  /**
   * Names and the union of the permissions of roles given by id (a role deleted since the ids were
   * read grants nothing, even if another role now has its name). Served from memory.
   */
  resolveRoles(roleIds: readonly number[]): Promise<{ names: string[]; permissions: ReadonlySet<Permission> }>;
  /** The permissions a user holds now, read from the database (not from any cache). */
  permissionsOfUser(userId: number, trx?: Executor): Promise<Set<Permission>>;
  /** The union of the permissions of roles given by id, read from the database. */
  permissionsOfRoles(roleIds: readonly number[], trx?: Executor): Promise<Set<Permission>>;
  /**
   * SPEC SEC-4: throws FORBIDDEN unless `actor` holds every permission in `needed`, resolved from
   * the database at the time of the call. System, scheduler and CLI actors (no `actorId`) are
   * trusted: the shell already holds the database.
   */
  requireHeld(actor: Actor, needed: Iterable<Permission>, message: string, trx?: Executor): Promise<void>;
  /** Role names that exist; throws INVALID naming the unknown ones. */
  requireRoles(names: readonly string[], trx?: Executor): Promise<number[]>;
  /** Drops the in-memory role→permissions map (after a change here or in another replica). */
  invalidate(): void;
}

export const RoleId = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2147483647 }) }, { additionalProperties: false });
const PermissionList = Type.Array(Type.String({ maxLength: 64 }), { maxItems: 100 });
export const RoleSchema = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  description: Type.String(),
  builtin: Type.Boolean(),
  permissions: Type.Array(Type.String()),
});

export const PermissionListSchema = Type.Object({ items: Type.Array(Type.Object({ name: Type.String(), description: Type.String() })) });

export const RoleCreateBody = Type.Object(
  { name: Type.String({ pattern: '^[a-z][a-z0-9_-]{1,63}$' }), description: Type.Optional(Type.String({ maxLength: 255 })), permissions: PermissionList },
  { additionalProperties: false },
);

export const RoleUpdateBody = Type.Object(
  { description: Type.Optional(Type.String({ maxLength: 255 })), permissions: Type.Optional(PermissionList) },
  { additionalProperties: false, minProperties: 1 },
);
