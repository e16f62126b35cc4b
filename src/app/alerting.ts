import { join } from 'node:path';
import type { Executor } from '../infra/db/database.js';
import type { ChannelType, NotificationChannel } from '../infra/notify/channel.js';
import { createEmailChannel } from '../infra/notify/emailChannel.js';
import { createLogChannel } from '../infra/notify/logChannel.js';
import { alertResolved, incidentsNotified, openIncidentFromAlert } from '../ops/incidents/incidents.js';
import { createAlertService } from '../services/support/alertService.js';
import type { AlertService, AlertSeverity } from '../services/support/contract.js';
import type { DeliveryDeps } from '../services/support/delivery.js';
import type { PlannedDelivery, Planner } from '../services/support/outbox.js';
import type { NotifyConfigService } from '../services/support/notifyConfig.js';
import { notifyConfigOf } from '../services/support/notifyConfigFactory.js';
import type { EscalationDeps, EscalationPolicy } from '../services/support/relay.js';
import { planNotifications } from '../services/support/routing.js';
import { createAlertSpool, deliverDirectly } from '../services/support/spool.js';
import type { Platform } from './platform.js';

/**
 * The alerting pipeline wired over a platform (issue 11), one per platform: the alert service (the
 * receiver and the watchdog both feed it) writing notifications to the outbox through the router,
 * incidents opened and proposed for closing from alert changes, the delivery worker's and the
 * relay's dependencies, and the spool that keeps alerts (and notifies directly) while the
 * database is down.
 */
export interface Alerting {
  alerts: AlertService;
  /** Channels, contacts, groups, routes and silences (the API's and the CLI's). */
  notifyConfig: NotifyConfigService;
  delivery: DeliveryDeps;
  escalation: EscalationDeps;
  /** Replays what was spooled while the database was down; returns the payloads stored. */
  replaySpool(): Promise<number>;
}

/** Without a stored route: critical alerts not acknowledged are re-sent every 15 minutes, three times at most (manual §3.1 紧急: phone again). */
const DEFAULT_ESCALATION: Record<AlertSeverity, EscalationPolicy> = {
  critical: { afterSeconds: 900, max: 3 },
  major: { afterSeconds: 0, max: 0 },
  minor: { afterSeconds: 0, max: 0 },
};

const wired = new WeakMap<Platform, Alerting>();

export function createAlerting(platform: Platform): Alerting {
  const known = wired.get(platform);
  if (known) return known;
  const { database, audit, clock, log, config } = platform;
  const env = config.notify;

  const notifyConfig = notifyConfigOf(platform);
  const routingEnv = { emailTo: env.emailTo, smtpConfigured: Boolean(env.smtpUrl) };
  const router: Planner = (x: Executor, alert, now) => planNotifications(x, alert, now, routingEnv);
  // while the database is down and nothing was read yet: the first-set-up e-mail, else the log
  const defaultRoute = (_severity: AlertSeverity): PlannedDelivery[] =>
    env.smtpUrl && env.emailTo.length ? [{ channel: 'email', type: 'email', to: env.emailTo }] : [{ channel: 'log', type: 'log', to: env.emailTo }];

  // the last routes and channels read, for notifying while the database is down
  const lastRoute = new Map<AlertSeverity, PlannedDelivery[]>();
  const lastChannel = new Map<string, NotificationChannel>();
  const plan: Planner = async (x, alert, now) => {
    const p = await router(x, alert, now);
    if (!p.silencedBy) lastRoute.set(alert.severity, p.deliveries);
    return p;
  };
  const builtIn = (name: string, type: ChannelType): NotificationChannel | undefined => {
    if (type === 'email' && name === 'email' && env.smtpUrl) return createEmailChannel({ url: env.smtpUrl });
    if (name === 'log') return createLogChannel(log, 'log');
    return undefined;
  };
  const channel = async (name: string, _type: ChannelType): Promise<NotificationChannel> => {
    const c = await notifyConfig.loadChannel(name);
    lastChannel.set(name, c);
    return guarded(name, c);
  };
  // Durable delivery sends through a circuit breaker per channel (RES-3): a provider that keeps
  // failing is not called for every waiting notification; the attempts fail at once, are recorded
  // and retried with backoff. No retry here (delivery has its own) and a timeout above the adapters'.
  const guarded = (name: string, c: NotificationChannel): NotificationChannel => {
    const breaker = platform.breaker(`notify:${name}`, { timeoutMs: 120_000 });
    return { type: c.type, limits: c.limits, send: (m) => breaker.call(() => c.send(m)) };
  };

  const spool = createAlertSpool(join(config.dataDir, 'alert-spool'));
  const incidents = { database, audit, clock };
  const alerts = createAlertService({
    database,
    audit,
    clock,
    log,
    notify: { plan },
    spool: {
      async accept(payload) {
        const file = spool.write(payload);
        // notify now, without waiting for the answer to Alertmanager
        void deliverDirectly(
          {
            routeOf: (severity) => lastRoute.get(severity) ?? defaultRoute(severity),
            channel: (name, type) => lastChannel.get(name) ?? builtIn(name, type),
            log,
            lang: env.lang,
          },
          payload,
        )
          .then((keys) => keys.length && spool.markSent(file, keys))
          .catch((e: unknown) => log.error({ err: (e as Error).message }, 'direct notification failed'));
      },
    },
    // A critical or major alert opens (or joins) an incident; a resolved one proposes closing it (SPEC INC-3).
    onAlert: async (change) => {
      if (change.status === 'firing') await openIncidentFromAlert(incidents, change);
      else await alertResolved(incidents, change.fingerprint);
    },
  });

  let replaying: Promise<number> | undefined;
  const replaySpool = () =>
    (replaying ??= (async () => {
      // settle after the memo is set, so `finally` below always clears it (even with nothing to do)
      await Promise.resolve();
      let stored = 0;
      try {
        for (const entry of spool.entries()) {
          await database.ping(1000);
          await alerts.receiveAlertmanager(entry.payload, { sentKeys: entry.sentKeys });
          spool.remove(entry.file);
          stored++;
        }
        if (stored) log.info({ stored }, 'alerts spooled while the database was down are stored');
      } catch {
        // the database is still away: try again later
      } finally {
        replaying = undefined;
      }
      return stored;
    })());

  const alerting: Alerting = {
    alerts,
    notifyConfig,
    delivery: {
      database,
      clock,
      log,
      channel,
      silenced: async (x, alert, now) => (await plan(x, alert, now)).silencedBy !== null,
      delivered: async (fingerprints, name) => {
        await incidentsNotified(incidents, fingerprints, name);
      },
      policy: { lang: env.lang },
    },
    escalation: {
      database,
      clock,
      plan,
      // the severity's stored route says how it escalates; without one, the default
      policy: async (severity) => {
        const route = await database.db.selectFrom('notify_routes').select(['escalate_after_s', 'escalate_max']).where('severity', '=', severity).executeTakeFirst();
        if (!route) return DEFAULT_ESCALATION[severity];
        return { afterSeconds: route.escalate_after_s ?? 0, max: route.escalate_after_s ? route.escalate_max : 0 };
      },
    },
    replaySpool,
  };
  wired.set(platform, alerting);
  return alerting;
}
