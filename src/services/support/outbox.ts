import { createHash } from 'node:crypto';
import type { Executor } from '../../infra/db/database.js';
import { toDbTime } from '../../infra/db/time.js';
import type { ChannelType } from '../../infra/notify/channel.js';
import type { AlertSeverity, AlertStatus } from './contract.js';

/**
 * The outbox (issue 11 item 3): every notification an alert change calls for is written here in
 * the same transaction as the change, so a notification exists exactly when its alert does —
 * whatever is down at the time. Delivery (delivery.ts) and the relay (relay.ts) take it from here.
 */

/** An alert as a notification announces it: what it was when the notification was written. */
export interface NotifiedAlert {
  fingerprint: string;
  name: string;
  severity: AlertSeverity;
  status: AlertStatus;
  summary: string | null;
  description: string | null;
  labels: Record<string, string>;
  /** ISO 8601 */
  startsAt: string;
  endsAt: string | null;
  generatorURL: string | null;
}

/** One channel's share of a routing decision: who gets it through which channel. */
export interface PlannedDelivery {
  channel: string;
  type: ChannelType;
  to: string[];
}

/** Where an alert's notifications go (routing.ts): nothing while a silence or maintenance window matches it. */
export interface NotificationPlan {
  silencedBy: { id: number; kind: 'silence' | 'maintenance' } | null;
  deliveries: PlannedDelivery[];
}

export type Planner = (x: Executor, alert: { name: string; severity: AlertSeverity; labels: Record<string, string> }, now: Date) => Promise<NotificationPlan>;

export type NotificationKind = 'firing' | 'resolved' | 'escalation';

/** A stable key of one notification: the same alert episodes to the same people through the same channel once. */
export function idempotencyKey(d: PlannedDelivery, kind: NotificationKind, escalation: number, alerts: readonly NotifiedAlert[]): string {
  const episodes = alerts.map((a) => `${a.fingerprint}@${a.startsAt}:${a.status}`).sort();
  const to = [...d.to].sort();
  return createHash('sha256')
    .update(JSON.stringify([d.channel, to, kind, escalation, episodes]))
    .digest('hex');
}

/**
 * Writes the notifications of `alerts` (one payload's new states, or one escalation) into the
 * outbox: one row per channel and recipients, announcing every alert routed there together
 * (Alertmanager's grouping). Silenced alerts get none. Returns the rows written and the alerts
 * they announce; a row already there (same key) is not written again.
 */
export async function writeNotifications(
  x: Executor,
  plan: Planner,
  alerts: readonly NotifiedAlert[],
  now: Date,
  o: { kind?: NotificationKind; escalation?: number; sentKeys?: ReadonlySet<string> } = {},
): Promise<{ rows: number; fingerprints: Set<string> }> {
  const groups = new Map<string, { delivery: PlannedDelivery; kind: NotificationKind; alerts: NotifiedAlert[] }>();
  for (const alert of alerts) {
    const p = await plan(x, alert, now);
    if (p.silencedBy) continue;
    const kind: NotificationKind = o.kind ?? alert.status;
    for (const d of p.deliveries) {
      const key = JSON.stringify([d.channel, [...d.to].sort(), kind]);
      const g = groups.get(key) ?? { delivery: d, kind, alerts: [] };
      g.alerts.push(alert);
      groups.set(key, g);
    }
  }
  const at = toDbTime(now);
  let written = 0;
  const fingerprints = new Set<string>();
  for (const g of groups.values()) {
    const escalation = o.escalation ?? 0;
    const key = idempotencyKey(g.delivery, g.kind, escalation, g.alerts);
    const seen = await x.selectFrom('notify_outbox').select('id').where('idem_key', '=', key).executeTakeFirst();
    if (seen) continue;
    // sent directly from the spool while the database was down: recorded, not sent again
    const sentAlready = o.sentKeys?.has(key) ?? false;
    const res = await x
      .insertInto('notify_outbox')
      .values({
        idem_key: key,
        channel: g.delivery.channel,
        channel_type: g.delivery.type,
        recipients: JSON.stringify(g.delivery.to),
        kind: g.kind,
        escalation,
        severity: worst(g.alerts),
        alerts: JSON.stringify(g.alerts),
        status: sentAlready ? 'sent' : 'pending',
        attempts: sentAlready ? 1 : 0,
        next_attempt_at: at,
        queued_at: null,
        claimed_until: null,
        merged_into: null,
        last_error: sentAlready ? 'sent directly while the database was unavailable' : null,
        provider_code: null,
        message_id: null,
        created_at: at,
        sent_at: sentAlready ? at : null,
        updated_at: at,
      })
      .executeTakeFirstOrThrow();
    const id = Number(res.insertId);
    await x
      .insertInto('notify_outbox_alerts')
      .values([...new Set(g.alerts.map((a) => a.fingerprint))].map((fingerprint) => ({ outbox_id: id, fingerprint })))
      .execute();
    written++;
    for (const a of g.alerts) fingerprints.add(a.fingerprint);
  }
  return { rows: written, fingerprints };
}

const RANK: Record<AlertSeverity, number> = { critical: 0, major: 1, minor: 2 };

function worst(alerts: readonly NotifiedAlert[]): AlertSeverity {
  return alerts.reduce<AlertSeverity>((w, a) => (RANK[a.severity] < RANK[w] ? a.severity : w), 'minor');
}
