import type { Clock } from '../../infra/clock.js';
import type { Database } from '../../infra/db/database.js';
import { isoTime, toDbTime } from '../../infra/db/time.js';
import type { Bus } from '../../infra/bus/bus.js';
import type { AlertSeverity } from './contract.js';
import { type NotifiedAlert, type Planner, writeNotifications } from './outbox.js';

/**
 * The outbox relay (issue 11 item 3): moves due notifications from the outbox onto the bus, where
 * delivery workers take them (topic `notify.deliver`). Run by one process at a time (the `relay`
 * role holds a lease). When the bus is down nothing is lost: the rows stay `pending` and the next
 * tick publishes them; a row published but never delivered (its message lost, or its worker died
 * with it claimed) is published again after `requeueMs`.
 */
export const DELIVER_TOPIC = 'notify.deliver';
export const DELIVERY_QUEUE = 'notify.delivery';

export interface RelayDeps {
  database: Database;
  clock: Clock;
  bus: Pick<Bus, 'publish'>;
  log: { warn(obj: object, msg: string): void };
}

export interface RelayResult {
  published: number;
  /** Set when the bus refused: the rest waits for the next tick. */
  busError?: string;
}

/** One pass of the relay: up to `limit` due notifications published. */
export async function relayDue(deps: RelayDeps, o: { limit?: number; requeueMs?: number } = {}): Promise<RelayResult> {
  const db = deps.database.db;
  const now = deps.clock.now();
  const at = toDbTime(now);
  const stale = toDbTime(new Date(now.getTime() - (o.requeueMs ?? 60_000)));
  // a worker that died mid-send: its claim ran out, the notification is due again
  await db.updateTable('notify_outbox').set({ status: 'pending', claimed_until: null, updated_at: at }).where('status', '=', 'sending').where('claimed_until', '<', at).execute();
  const due = await db
    .selectFrom('notify_outbox')
    .select('id')
    .where((eb) => eb.or([eb.and([eb('status', '=', 'pending'), eb('next_attempt_at', '<=', at)]), eb.and([eb('status', '=', 'queued'), eb('queued_at', '<', stale)])]))
    .orderBy('next_attempt_at')
    .orderBy('id')
    .limit(o.limit ?? 500)
    .execute();
  const published: number[] = [];
  let busError: string | undefined;
  for (const { id } of due) {
    try {
      await deps.bus.publish(DELIVER_TOPIC, { id });
      published.push(id);
    } catch (e) {
      busError = e instanceof Error ? e.message : String(e);
      deps.log.warn({ err: busError, waiting: due.length - published.length }, 'notification relay: the bus refused; the outbox keeps the notifications');
      break;
    }
  }
  for (let i = 0; i < published.length; i += 500) {
    await db
      .updateTable('notify_outbox')
      .set({ status: 'queued', queued_at: at, updated_at: at })
      .where('id', 'in', published.slice(i, i + 500))
      .where('status', 'in', ['pending', 'queued'])
      .execute();
  }
  return { published: published.length, ...(busError ? { busError } : {}) };
}

/** How a severity escalates: after `afterSeconds` without acknowledgement, re-sent, up to `max` times. */
export interface EscalationPolicy {
  afterSeconds: number;
  max: number;
}

export interface EscalationDeps {
  database: Database;
  clock: Clock;
  plan: Planner;
  /** The severity's escalation (the route's settings); max 0 = none. */
  policy(severity: AlertSeverity): Promise<EscalationPolicy>;
}

/**
 * Issue 11 item 4: an alert still firing, not acknowledged, whose last notification (first or
 * escalation) is `afterSeconds` old, is notified again through its route (voice again for a
 * critical one), up to `max` times. Returns the fingerprints escalated.
 */
export async function escalateDue(deps: EscalationDeps): Promise<string[]> {
  const db = deps.database.db;
  const now = deps.clock.now();
  const candidates = await db
    .selectFrom('alerts')
    .selectAll()
    .where('status', '=', 'firing')
    .where('acknowledged_at', 'is', null)
    .where('notified_at', 'is not', null)
    .limit(1000)
    .execute();
  const policies = new Map<AlertSeverity, EscalationPolicy>();
  const escalated: string[] = [];
  for (const a of candidates) {
    let p = policies.get(a.severity);
    if (!p) policies.set(a.severity, (p = await deps.policy(a.severity)));
    if (p.max <= 0 || a.escalations >= p.max || !a.notified_at) continue;
    const dueAt = new Date(`${a.notified_at.replace(' ', 'T')}Z`).getTime() + (a.escalations + 1) * p.afterSeconds * 1000;
    if (dueAt > now.getTime()) continue;
    const level = a.escalations + 1;
    const done = await db.transaction().execute(async (trx) => {
      // one escalation per level, whoever else is looking
      const took = await trx
        .updateTable('alerts')
        .set({ escalations: level })
        .where('fingerprint', '=', a.fingerprint)
        .where('escalations', '=', a.escalations)
        .where('starts_at', '=', a.starts_at)
        .where('acknowledged_at', 'is', null)
        .executeTakeFirst();
      if (Number(took.numUpdatedRows) !== 1) return false;
      const annotations = JSON.parse(a.annotations) as Record<string, string>;
      const alert: NotifiedAlert = {
        fingerprint: a.fingerprint,
        name: a.name,
        severity: a.severity,
        status: 'firing',
        summary: a.summary,
        description: annotations.description ?? null,
        labels: JSON.parse(a.labels) as Record<string, string>,
        startsAt: isoTime(a.starts_at),
        endsAt: null,
        generatorURL: a.generator_url,
      };
      await writeNotifications(trx, deps.plan, [alert], now, { kind: 'escalation', escalation: level });
      return true;
    });
    if (done) escalated.push(a.fingerprint);
  }
  return escalated;
}
