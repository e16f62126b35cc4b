import type { FastifyPluginAsync } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import '../requestState.js';
import { PermissionListSchema, RoleCreateBody, RoleId, RoleSchema, RoleUpdateBody } from './contract.js';

/** /api/roles and /api/permissions — RBAC administration. */
export const permissionRoutes: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get('/permissions', { config: { permission: 'roles:read' }, schema: { response: { 200: PermissionListSchema } } }, async (req) => ({
    items: await req.services.permissions.listPermissions(),
  }));

  r.get('/roles', { config: { permission: 'roles:read' }, schema: { response: { 200: Type.Object({ items: Type.Array(RoleSchema) }) } } }, async (req) => ({
    items: await req.services.permissions.listRoles(),
  }));

  r.post(
    '/roles',
    {
      config: { permission: 'roles:write' },
      schema: {
        body: RoleCreateBody,
        response: { 201: RoleSchema },
      },
    },
    async (req, reply) => reply.status(201).send(await req.services.permissions.createRole(req.actor, req.body)),
  );

  r.get('/roles/:id', { config: { permission: 'roles:read' }, schema: { params: RoleId, response: { 200: RoleSchema } } }, async (req) =>
    req.services.permissions.getRole(req.params.id),
  );

  r.patch(
    '/roles/:id',
    {
      config: { permission: 'roles:write' },
      schema: {
        params: RoleId,
        body: RoleUpdateBody,
        response: { 200: RoleSchema },
      },
    },
    async (req) => req.services.permissions.updateRole(req.actor, req.params.id, req.body),
  );

  r.delete('/roles/:id', { config: { permission: 'roles:write' }, schema: { params: RoleId } }, async (req, reply) => {
    await req.services.permissions.deleteRole(req.actor, req.params.id);
    return reply.status(204).send();
  });
};
