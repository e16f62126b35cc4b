import type { FastifyPluginAsync } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { dbTimeParam } from '../../infra/db/time.js';
import '../requestState.js';
import { AuditLogListSchema, AuditLogQuery, AuditVerificationSchema, SettingBody, SettingName, SettingSchema } from './contract.js';

/** /api/system — audit log and settings. */
export const systemRoutes: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get(
    '/audit-logs',
    {
      config: { permission: 'audit:read' },
      schema: {
        querystring: AuditLogQuery,
        response: { 200: AuditLogListSchema },
      },
    },
    async (req) => {
      const { page, pageSize } = req.query;
      return { ...(await req.services.audit.list({ ...req.query, from: dbTimeParam(req.query.from), to: dbTimeParam(req.query.to) })), page, pageSize };
    },
  );

  r.get('/audit-logs/verify', { config: { permission: 'audit:read' }, schema: { response: { 200: AuditVerificationSchema } } }, async (req) => req.services.audit.verify());

  r.get('/settings', { config: { permission: 'settings:read' }, schema: { response: { 200: Type.Object({ items: Type.Array(SettingSchema) }) } } }, async (req) => ({
    items: await req.services.settings.list(),
  }));

  r.get('/settings/:name', { config: { permission: 'settings:read' }, schema: { params: SettingName, response: { 200: SettingSchema } } }, async (req) =>
    req.services.settings.get(req.params.name),
  );

  r.put(
    '/settings/:name',
    {
      config: { permission: 'settings:write' },
      schema: { params: SettingName, body: SettingBody, response: { 200: SettingSchema } },
    },
    async (req) => req.services.settings.set(req.actor, req.params.name, req.body.value),
  );

  r.delete('/settings/:name', { config: { permission: 'settings:write' }, schema: { params: SettingName } }, async (req, reply) => {
    await req.services.settings.remove(req.actor, req.params.name);
    return reply.status(204).send();
  });
};
