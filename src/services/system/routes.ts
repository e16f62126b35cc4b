import type { FastifyPluginAsync } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { dbTimeParam, TIME_PARAM_PATTERN } from '../../infra/db/time.js';
import '../requestState.js';
import { SETTING_NAME } from './settingsService.js';

const Name = Type.Object({ name: Type.String({ pattern: SETTING_NAME.source }) }, { additionalProperties: false });
const DbTime = Type.String({ pattern: TIME_PARAM_PATTERN });

/** /api/system — audit log and settings. */
export const systemRoutes: FastifyPluginAsync = async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();

    r.get(
      '/audit-logs',
      {
        config: { permission: 'audit:read' },
        schema: {
          querystring: Type.Object(
            {
              page: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 }),
              pageSize: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
              actor: Type.Optional(Type.String({ maxLength: 64 })),
              action: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_.-]{0,63}$' })),
              result: Type.Optional(Type.Union([Type.Literal('success'), Type.Literal('failure'), Type.Literal('denied')])),
              from: Type.Optional(DbTime),
              to: Type.Optional(DbTime),
            },
            { additionalProperties: false },
          ),
        },
      },
      async (req) => {
        const { page, pageSize } = req.query;
        return { ...(await req.services.audit.list({ ...req.query, from: dbTimeParam(req.query.from), to: dbTimeParam(req.query.to) })), page, pageSize };
      },
    );

    r.get('/audit-logs/verify', { config: { permission: 'audit:read' } }, async (req) => req.services.audit.verify());

    r.get('/settings', { config: { permission: 'settings:read' } }, async (req) => ({ items: await req.services.settings.list() }));

    r.get('/settings/:name', { config: { permission: 'settings:read' }, schema: { params: Name } }, async (req) => req.services.settings.get(req.params.name));

    r.put(
      '/settings/:name',
      {
        config: { permission: 'settings:write' },
        schema: { params: Name, body: Type.Object({ value: Type.Unknown() }, { additionalProperties: false, required: ['value'] }) },
      },
      async (req) => req.services.settings.set(req.actor, req.params.name, req.body.value),
    );

    r.delete('/settings/:name', { config: { permission: 'settings:write' }, schema: { params: Name } }, async (req, reply) => {
      await req.services.settings.remove(req.actor, req.params.name);
      return reply.status(204).send();
    });
  };
