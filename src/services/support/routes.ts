import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import '../requestState.js';
import { AlertmanagerPayload, AlertmanagerQuery, AlertsQuery, type AlertService } from './contract.js';

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

/** /api/ops/alerts — the alerts as stored (ops:read). */
export const alertOpsRoutes =
  (deps: { alerts: AlertService }): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    r.get('/alerts', { config: { permission: 'ops:read' }, schema: { querystring: AlertsQuery } }, async (req) => ({ items: await deps.alerts.list(req.query) }));
  };
