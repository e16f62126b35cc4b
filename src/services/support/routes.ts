import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import '../requestState.js';
import type { Clock } from '../../infra/clock.js';
import type { AuditLog } from '../system/contract.js';
import { AlertFingerprint, AlertSchema, AlertmanagerPayload, AlertmanagerQuery, AlertsQuery, type AlertService, NotificationId, OutboxQuery } from './contract.js';
import { acknowledgeAlert, getNotification, listNotifications, type NotificationStatus, retryNotification } from './notifications.js';

export interface SupportRouteDeps {
  alerts: AlertService;
  /**
   * Checks the webhook's own credential (the server wires a constant-time bearer check of
   * MCP_ALERT_WEBHOOK_TOKEN; 503 when the receiver is off). Runs in onRequest, before the body is read.
   */
  authorizeWebhook: (req: FastifyRequest) => void;
}

/** /api/support — the Alertmanager receiver: not a user session, its own bearer token. */
export const supportRoutes =
  (deps: SupportRouteDeps): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    r.post(
      '/alerts/alertmanager',
      {
        config: { permission: 'public' },
        onRequest: (req, _reply, done) => {
          try {
            deps.authorizeWebhook(req);
            done();
          } catch (e) {
            done(e as Error);
          }
        },
        schema: { body: AlertmanagerPayload, querystring: AlertmanagerQuery },
      },
      async (req) => deps.alerts.receiveAlertmanager(req.body),
    );
  };

/** /api/support/notify/outbox — notifications and their attempts (ops:read); a dead one sent again (ops:notify). */
export const outboxRoutes =
  (deps: { audit: AuditLog; clock: Clock }): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    r.get('/notify/outbox', { config: { permission: 'ops:read' }, schema: { querystring: OutboxQuery } }, async (req) => ({
      items: await listNotifications(req.services.database, { ...req.query, status: req.query.status as NotificationStatus | undefined }),
    }));
    r.get('/notify/outbox/:id', { config: { permission: 'ops:read' }, schema: { params: NotificationId } }, async (req) =>
      getNotification(req.services.database, Number(req.params.id)),
    );
    r.post('/notify/outbox/:id/retry', { config: { permission: 'ops:notify' }, schema: { params: NotificationId } }, async (req) =>
      retryNotification({ database: req.services.database, audit: deps.audit, clock: deps.clock }, req.actor, Number(req.params.id)),
    );
  };

/** /api/ops/alerts — the alerts as stored (ops:read); acknowledging one stops its notifications (ops:incidents). */
export const alertOpsRoutes =
  (deps: { alerts: AlertService; audit: AuditLog; clock: Clock }): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    r.get(
      '/alerts',
      { config: { permission: 'ops:read' }, schema: { querystring: AlertsQuery, response: { 200: Type.Object({ items: Type.Array(AlertSchema) }) } } },
      async (req) => ({ items: await deps.alerts.list(req.query) }),
    );
    r.post('/alerts/:fingerprint/ack', { config: { permission: 'ops:incidents' }, schema: { params: AlertFingerprint } }, async (req) =>
      acknowledgeAlert({ database: req.services.database, audit: deps.audit, clock: deps.clock }, req.actor, req.params.fingerprint),
    );
  };
