import type { FastifyPluginAsync } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import '../requestState.js';

const Id = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2147483647 }) }, { additionalProperties: false });
const PermissionList = Type.Array(Type.String({ maxLength: 64 }), { maxItems: 100 });
const RoleSchema = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  description: Type.String(),
  builtin: Type.Boolean(),
  permissions: Type.Array(Type.String()),
});

/** /api/roles and /api/permissions — RBAC administration. */
export const permissionRoutes: FastifyPluginAsync = async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();

    r.get('/permissions', { config: { permission: 'roles:read' } }, async (req) => ({ items: await req.services.permissions.listPermissions() }));

    r.get('/roles', { config: { permission: 'roles:read' }, schema: { response: { 200: Type.Object({ items: Type.Array(RoleSchema) }) } } }, async (req) => ({
      items: await req.services.permissions.listRoles(),
    }));

    r.post(
      '/roles',
      {
        config: { permission: 'roles:write' },
        schema: {
          body: Type.Object(
            { name: Type.String({ pattern: '^[a-z][a-z0-9_-]{1,63}$' }), description: Type.Optional(Type.String({ maxLength: 255 })), permissions: PermissionList },
            { additionalProperties: false },
          ),
          response: { 201: RoleSchema },
        },
      },
      async (req, reply) => reply.status(201).send(await req.services.permissions.createRole(req.actor, req.body)),
    );

    r.get('/roles/:id', { config: { permission: 'roles:read' }, schema: { params: Id, response: { 200: RoleSchema } } }, async (req) =>
      req.services.permissions.getRole(req.params.id),
    );

    r.patch(
      '/roles/:id',
      {
        config: { permission: 'roles:write' },
        schema: {
          params: Id,
          body: Type.Object(
            { description: Type.Optional(Type.String({ maxLength: 255 })), permissions: Type.Optional(PermissionList) },
            { additionalProperties: false, minProperties: 1 },
          ),
          response: { 200: RoleSchema },
        },
      },
      async (req) => req.services.permissions.updateRole(req.actor, req.params.id, req.body),
    );

    r.delete('/roles/:id', { config: { permission: 'roles:write' }, schema: { params: Id } }, async (req, reply) => {
      await req.services.permissions.deleteRole(req.actor, req.params.id);
      return reply.status(204).send();
    });
  };
