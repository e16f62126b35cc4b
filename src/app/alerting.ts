import type { Executor } from '../infra/db/database.js';
import type { ChannelType, NotificationChannel } from '../infra/notify/channel.js';
import { createEmailChannel } from '../infra/notify/emailChannel.js';
import { createLogChannel } from '../infra/notify/logChannel.js';
import { alertResolved, incidentsNotified, openIncidentFromAlert } from '../ops/incidents/incidents.js';
import { createAlertService } from '../services/support/alertService.js';
import type { AlertService } from '../services/support/contract.js';
import type { DeliveryDeps } from '../services/support/delivery.js';
import type { NotificationPlan, Planner } from '../services/support/outbox.js';
import type { EscalationDeps, EscalationPolicy } from '../services/support/relay.js';
import type { Platform } from './platform.js';

/**
 * The alerting pipeline wired over a platform (issue 11): the alert service (receiver and
 * watchdog both feed it) writing notifications to the outbox through the router, incidents opened
 * and proposed for closing from alert changes, and the delivery worker's and relay's dependencies.
 */
export interface Alerting {
  alerts: AlertService;
  delivery: DeliveryDeps;
  escalation: EscalationDeps;
}

/** Manual §3.1: who gets each severity, by channel type. */
const DEFAULT_ROUTE = { critical: ['voice', 'sms', 'email'], major: ['sms', 'email'], minor: ['email'] } as const;

/** Critical alerts not acknowledged are re-sent every 15 minutes, three times at most (manual §3.1 紧急: phone again). */
const DEFAULT_ESCALATION: Record<'critical' | 'major' | 'minor', EscalationPolicy> = {
  critical: { afterSeconds: 900, max: 3 },
  major: { afterSeconds: 0, max: 0 },
  minor: { afterSeconds: 0, max: 0 },
};

export function createAlerting(platform: Platform): Alerting {
  const { database, audit, clock, log, config } = platform;
  const env = config.notify;
  // first set-up without the console: MCP_SMTP_URL + MCP_NOTIFY_EMAIL_TO; nothing configured: the log channel
  const plan: Planner = async (_x: Executor, alert): Promise<NotificationPlan> => {
    const types = DEFAULT_ROUTE[alert.severity] as readonly string[];
    if (env.smtpUrl && env.emailTo.length && types.includes('email')) return { silencedBy: null, deliveries: [{ channel: 'email', type: 'email', to: env.emailTo }] };
    return { silencedBy: null, deliveries: [{ channel: 'log', type: 'log', to: env.emailTo }] };
  };
  const channel = async (name: string, type: ChannelType): Promise<NotificationChannel> => {
    if (type === 'email' && name === 'email' && env.smtpUrl) return createEmailChannel({ url: env.smtpUrl });
    return createLogChannel(log);
  };
  const incidents = { database, audit, clock };
  const alerts = createAlertService({
    database,
    audit,
    clock,
    log,
    notify: { plan },
    // A critical or major alert opens (or joins) an incident; a resolved one proposes closing it (SPEC INC-3).
    onAlert: async (change) => {
      if (change.status === 'firing') await openIncidentFromAlert(incidents, change);
      else await alertResolved(incidents, change.fingerprint);
    },
  });
  return {
    alerts,
    delivery: {
      database,
      clock,
      log,
      channel,
      silenced: async (x, alert, now) => (await plan(x, alert, now)).silencedBy !== null,
      delivered: async (fingerprints, name) => {
        await incidentsNotified(incidents, fingerprints, name);
      },
      policy: { lang: config.notify.lang },
    },
    escalation: { database, clock, plan, policy: async (severity) => DEFAULT_ESCALATION[severity] },
  };
}
