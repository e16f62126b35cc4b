import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import '../requestState.js';
import { UserCreateBody, UserId, UserListQuery, UserListSchema, UserSchema, UserUpdateBody } from './contract.js';

/** /api/users — CRUD with pagination and search. */
export const userRoutes: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get(
    '/',
    {
      config: { permission: 'users:read' },
      schema: {
        querystring: UserListQuery,
        response: { 200: UserListSchema },
      },
    },
    async (req) => req.services.users.list(req.query),
  );

  r.post(
    '/',
    {
      config: { permission: 'users:write' },
      schema: {
        body: UserCreateBody,
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
      // the body is the cached JSON text of a `User`: a string is sent as it is, so the response
      // schema only documents it (it is never used to serialize)
      schema: { params: UserId, response: { 200: UserSchema } },
      onRequest: (req, _reply, done) => {
        const id = Number((req.params as Record<string, unknown>).id);
        if (Number.isSafeInteger(id) && id > 0) prefetches.set(req, req.services.users.prefetch(id));
        done();
      },
    },
    // (the JSON text of a User, typed as the object it encodes)
    async (req, reply) => reply.type('application/json; charset=utf-8').send((await req.services.users.getJson(req.params.id, prefetches.get(req))) as never),
  );

  r.patch(
    '/:id',
    {
      config: { permission: 'users:write' },
      schema: {
        params: UserId,
        body: UserUpdateBody,
        response: { 200: UserSchema },
      },
    },
    async (req) => req.services.users.update(req.actor, req.params.id, req.body),
  );

  r.delete('/:id', { config: { permission: 'users:write' }, schema: { params: UserId } }, async (req, reply) => {
    await req.services.users.remove(req.actor, req.params.id);
    return reply.status(204).send();
  });
};
