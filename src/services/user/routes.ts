import type { FastifyPluginAsync } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { PASSWORD_MAX } from '../auth/passwords.js';
import '../requestState.js';

export const USERNAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{2,63}$';
const Id = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2147483647 }) }, { additionalProperties: false });
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

/** /api/users — CRUD with pagination and search. */
export const userRoutes: FastifyPluginAsync = async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();

    r.get(
      '/',
      {
        config: { permission: 'users:read' },
        schema: {
          querystring: Type.Object(
            {
              page: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 }),
              pageSize: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
              search: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
              status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('disabled')])),
              role: Type.Optional(RoleName),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({ items: Type.Array(UserSchema), total: Type.Integer(), page: Type.Integer(), pageSize: Type.Integer() }),
          },
        },
      },
      async (req) => req.services.users.list(req.query),
    );

    r.post(
      '/',
      {
        config: { permission: 'users:write' },
        schema: {
          body: Type.Object(
            {
              username: Type.String({ pattern: USERNAME_PATTERN }),
              email: Email,
              password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX }),
              displayName: Type.Optional(DisplayName),
              roles: Type.Optional(Type.Array(RoleName, { maxItems: 20 })),
              mustChangePassword: Type.Optional(Type.Boolean()),
            },
            { additionalProperties: false },
          ),
          response: { 201: UserSchema },
        },
      },
      async (req, reply) => reply.status(201).send(await req.services.users.create(req.actor, req.body)),
    );

    // The cached read starts before authentication finishes so both Redis round trips overlap
    // (ioredis pipelines them into one write); an unauthorised request simply drops it.
    const prefetches = new WeakMap<object, Promise<string | null>>();
    r.get(
      '/:id',
      {
        config: { permission: 'users:read' },
        // no response schema: the body is the cached JSON text of a `User` (UserSchema's fields)
        schema: { params: Id },
        onRequest: (req, _reply, done) => {
          const id = Number((req.params as Record<string, unknown>).id);
          if (Number.isSafeInteger(id) && id > 0) prefetches.set(req, req.services.users.prefetch(id));
          done();
        },
      },
      async (req, reply) => reply.type('application/json; charset=utf-8').send(await req.services.users.getJson(req.params.id, prefetches.get(req))),
    );

    r.patch(
      '/:id',
      {
        config: { permission: 'users:write' },
        schema: {
          params: Id,
          body: Type.Object(
            {
              email: Type.Optional(Email),
              displayName: Type.Optional(DisplayName),
              status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('disabled')])),
              roles: Type.Optional(Type.Array(RoleName, { maxItems: 20 })),
              password: Type.Optional(Type.String({ minLength: 1, maxLength: PASSWORD_MAX })),
              mustChangePassword: Type.Optional(Type.Boolean()),
            },
            { additionalProperties: false, minProperties: 1 },
          ),
          response: { 200: UserSchema },
        },
      },
      async (req) => req.services.users.update(req.actor, req.params.id, req.body),
    );

    r.delete('/:id', { config: { permission: 'users:write' }, schema: { params: Id } }, async (req, reply) => {
      await req.services.users.remove(req.actor, req.params.id);
      return reply.status(204).send();
    });
  };
