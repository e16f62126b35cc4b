import { Type } from '@fastify/type-provider-typebox';
import type { Actor } from '../actor.js';
import { PASSWORD_MAX } from '../auth/passwords.js';
import { USERNAME_PATTERN } from './usernames.js';

/**
 * The user module's contract: its interface and its route schemas (/api/users); what a
 * username looks like is usernames.ts.
 * It owns the tables `users` and `user_roles` and the cache keys `user:<id>`; other modules read
 * and change users only through `UserService` (authentication: `credentials`, `account`,
 * `roleIdsOf`, `recordLogin`, `setOwnPassword`; a restore: `forget`).
 */

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

/** What authentication keeps about a user for its sessions: looked up by id. */
export interface Account {
  username: string;
  status: 'active' | 'disabled';
  mustChangePassword: boolean;
}

/** What authentication needs about a user. */
export interface Credentials {
  id: number;
  username: string;
  passwordHash: string;
  status: 'active' | 'disabled';
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
  account(id: number): Promise<Account | undefined>;
  /** The ids of a user's roles, in order (authentication resolves them to permissions). */
  roleIdsOf(id: number): Promise<number[]>;
  /** Records a successful login's time (after authentication committed the session). */
  recordLogin(id: number, at: Date): Promise<void>;
  /**
   * Stores the password a user chose for themselves (ends a one-time password) and its audit row
   * (`auth.password` by `actor`) in one transaction of this module — so it is atomic in split mode
   * too, where no transaction spans two modules.
   */
  setOwnPassword(id: number, passwordHash: string, actor: Actor): Promise<void>;
  /**
   * Drops cached views of users (after a change made outside this service, e.g. a login, a role
   * change or a restore), and what other modules cached from them (authentication's principals).
   */
  forget(...ids: number[]): Promise<void>;
  /** The id of every user (a live restore drops the cached views of all of them, before and after). */
  ids(): Promise<number[]>;
}

export const UserId = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2147483647 }) }, { additionalProperties: false });
const RoleName = Type.String({ pattern: '^[a-z][a-z0-9_-]{1,63}$' });
const Email = Type.String({ format: 'email', maxLength: 254 });
const DisplayName = Type.Union([Type.String({ maxLength: 128 }), Type.Null()]);

export const UserSchema = Type.Object({
  id: Type.Integer(),
  username: Type.String(),
  email: Type.String(),
  displayName: Type.Union([Type.String(), Type.Null()]),
  status: Type.String(),
  roles: Type.Array(Type.String()),
  mustChangePassword: Type.Boolean(),
  lastLoginAt: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

export const UserListSchema = Type.Object({ items: Type.Array(UserSchema), total: Type.Integer(), page: Type.Integer(), pageSize: Type.Integer() });

export const UserListQuery = Type.Object(
  {
    page: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 }),
    pageSize: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    search: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('disabled')])),
    role: Type.Optional(RoleName),
  },
  { additionalProperties: false },
);

export const UserCreateBody = Type.Object(
  {
    username: Type.String({ pattern: USERNAME_PATTERN }),
    email: Email,
    password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX }),
    displayName: Type.Optional(DisplayName),
    roles: Type.Optional(Type.Array(RoleName, { maxItems: 20 })),
    mustChangePassword: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const UserUpdateBody = Type.Object(
  {
    email: Type.Optional(Email),
    displayName: Type.Optional(DisplayName),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('disabled')])),
    roles: Type.Optional(Type.Array(RoleName, { maxItems: 20 })),
    password: Type.Optional(Type.String({ minLength: 1, maxLength: PASSWORD_MAX })),
    mustChangePassword: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);
