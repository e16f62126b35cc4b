import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import '../requestState.js';
import {
  type AlertSeverity,
  ChannelCreateBody,
  ChannelNameParams,
  ChannelPatchBody,
  ContactCreateBody,
  ContactPatchBody,
  GroupCreateBody,
  GroupMembersBody,
  GroupNameParams,
  IdParams,
  RouteBody,
  SeverityParams,
  SilenceCreateBody,
  SilencesQuery,
} from './contract.js';
import type { ChannelType } from '../../infra/notify/channel.js';
import type { NotifyConfigService } from './notifyConfig.js';

/**
 * The notification center's configuration over HTTP (issue 11 items 1, 2, 5), registered under
 * /api/support: channels, contacts, on-call groups, routes (`/notify/...`) and silences
 * (`/alerts/silences`). Reads need `ops:read`, changes `ops:notify`. A channel's secrets are
 * never in an answer: every channel shown has them masked (`******`).
 */
export const notifyConfigRoutes =
  (deps: { notifyConfig: NotifyConfigService }): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const s = deps.notifyConfig;
    const read = { permission: 'ops:read' } as const;
    const change = { permission: 'ops:notify' } as const;

    r.get('/notify/channels', { config: read }, async () => ({ items: await s.listChannels() }));
    r.get('/notify/channels/:name', { config: read, schema: { params: ChannelNameParams } }, async (req) => s.getChannel(req.params.name));
    r.post('/notify/channels', { config: change, schema: { body: ChannelCreateBody } }, async (req, reply) =>
      reply.status(201).send(await s.createChannel(req.actor, { ...req.body, type: req.body.type as ChannelType })),
    );
    r.patch('/notify/channels/:name', { config: change, schema: { params: ChannelNameParams, body: ChannelPatchBody } }, async (req) =>
      s.updateChannel(req.actor, req.params.name, req.body),
    );
    r.delete('/notify/channels/:name', { config: change, schema: { params: ChannelNameParams } }, async (req, reply) => {
      await s.deleteChannel(req.actor, req.params.name);
      return reply.status(204).send();
    });

    r.get('/notify/contacts', { config: read }, async () => ({ items: await s.listContacts() }));
    r.post('/notify/contacts', { config: change, schema: { body: ContactCreateBody } }, async (req, reply) => reply.status(201).send(await s.createContact(req.actor, req.body)));
    r.patch('/notify/contacts/:id', { config: change, schema: { params: IdParams, body: ContactPatchBody } }, async (req) =>
      s.updateContact(req.actor, Number(req.params.id), req.body),
    );
    r.delete('/notify/contacts/:id', { config: change, schema: { params: IdParams } }, async (req, reply) => {
      await s.deleteContact(req.actor, Number(req.params.id));
      return reply.status(204).send();
    });

    r.get('/notify/groups', { config: read }, async () => ({ items: await s.listGroups() }));
    r.post('/notify/groups', { config: change, schema: { body: GroupCreateBody } }, async (req, reply) => reply.status(201).send(await s.createGroup(req.actor, req.body)));
    r.put('/notify/groups/:name/members', { config: change, schema: { params: GroupNameParams, body: GroupMembersBody } }, async (req) =>
      s.setGroupMembers(req.actor, req.params.name, req.body.members),
    );
    r.delete('/notify/groups/:name', { config: change, schema: { params: GroupNameParams } }, async (req, reply) => {
      await s.deleteGroup(req.actor, req.params.name);
      return reply.status(204).send();
    });

    r.get('/notify/routes', { config: read }, async () => ({ items: await s.listRoutes() }));
    r.put('/notify/routes/:severity', { config: change, schema: { params: SeverityParams, body: RouteBody } }, async (req) =>
      s.setRoute(req.actor, req.params.severity as AlertSeverity, req.body),
    );

    r.get('/alerts/silences', { config: read, schema: { querystring: SilencesQuery } }, async (req) => ({ items: await s.listSilences({ all: req.query.all === 'true' }) }));
    r.post('/alerts/silences', { config: change, schema: { body: SilenceCreateBody } }, async (req, reply) =>
      reply.status(201).send(await s.createSilence(req.actor, req.body as never)),
    );
    r.delete('/alerts/silences/:id', { config: change, schema: { params: IdParams } }, async (req) => s.expireSilence(req.actor, Number(req.params.id)));
  };
