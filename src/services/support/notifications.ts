import type { Selectable } from 'kysely';
import { conflict, notFound } from '../../errors/appError.js';
import type { NotifyOutboxTable } from '../../infra/db/schema.js';
import type { Clock } from '../../infra/clock.js';
import type { Database } from '../../infra/db/database.js';
import { isoTime, toDbTime } from '../../infra/db/time.js';
import type { Actor } from '../actor.js';
import type { AuditLog } from '../system/contract.js';
import type { NotifiedAlert } from './outbox.js';

/**
 * What a person does with alerts and notifications besides receiving them: acknowledge an alert
 * (nothing more is sent for its episode), read the outbox and each attempt, and send a dead
 * notification again. Every change is audited in its transaction.
 */
export interface NotificationDeps {
  database: Database;
  audit: AuditLog;
  clock: Clock;
}

export type NotificationStatus = 'pending' | 'queued' | 'sending' | 'sent' | 'merged' | 'cancelled' | 'dead';

export interface NotificationAttempt {
  attempt: number;
  startedAt: string;
  durationMs: number;
  outcome: string;
  providerCode: string | null;
  error: string | null;
  messageId: string | null;
  merged: number;
}

export interface Notification {
  id: number;
  channel: string;
  channelType: string;
  recipients: string[];
  kind: string;
  escalation: number;
  severity: string;
  status: NotificationStatus;
  attempts: number;
  nextAttemptAt: string;
  mergedInto: number | null;
  lastError: string | null;
  providerCode: string | null;
  createdAt: string;
  sentAt: string | null;
  alerts: { fingerprint: string; name: string; status: string }[];
}

export interface NotificationDetail extends Notification {
  attemptLog: NotificationAttempt[];
}

/** Acknowledges the current episode of an alert: no more notifications or escalations for it. */
export async function acknowledgeAlert(
  deps: NotificationDeps,
  actor: Actor,
  fingerprint: string,
): Promise<{ fingerprint: string; acknowledgedAt: string; acknowledgedBy: string }> {
  const at = toDbTime(deps.clock.now());
  return deps.database.db.transaction().execute(async (trx) => {
    const alert = await trx.selectFrom('alerts').select(['status', 'acknowledged_at', 'acknowledged_by']).where('fingerprint', '=', fingerprint).executeTakeFirst();
    if (!alert) throw notFound(`alert ${fingerprint}`);
    if (alert.status !== 'firing') throw conflict(`alert ${fingerprint} is resolved; there is nothing to acknowledge`, { status: alert.status });
    if (alert.acknowledged_at)
      throw conflict(`alert ${fingerprint} was acknowledged by ${alert.acknowledged_by} at ${isoTime(alert.acknowledged_at)}`, { acknowledgedBy: alert.acknowledged_by });
    await trx.updateTable('alerts').set({ acknowledged_at: at, acknowledged_by: actor.actor }).where('fingerprint', '=', fingerprint).execute();
    await deps.audit.record({ ...actor, action: 'alert.ack', target: `alert:${fingerprint}`, result: 'success' }, trx);
    return { fingerprint, acknowledgedAt: isoTime(at), acknowledgedBy: actor.actor };
  });
}

type OutboxRow = Selectable<NotifyOutboxTable>;

function toNotification(r: OutboxRow): Notification {
  const alerts = JSON.parse(r.alerts) as NotifiedAlert[];
  return {
    id: r.id,
    channel: r.channel,
    channelType: r.channel_type,
    recipients: JSON.parse(r.recipients) as string[],
    kind: r.kind,
    escalation: r.escalation,
    severity: r.severity,
    status: r.status,
    attempts: r.attempts,
    nextAttemptAt: isoTime(r.next_attempt_at),
    mergedInto: r.merged_into,
    lastError: r.last_error,
    providerCode: r.provider_code,
    createdAt: isoTime(r.created_at),
    sentAt: isoTime(r.sent_at),
    alerts: alerts.map((a) => ({ fingerprint: a.fingerprint, name: a.name, status: a.status })),
  };
}

/** The outbox, newest first: `status: 'dead'` lists the dead letters. */
export async function listNotifications(database: Database, q: { status?: NotificationStatus; fingerprint?: string; limit?: number } = {}): Promise<Notification[]> {
  let query = database.db
    .selectFrom('notify_outbox')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(q.limit ?? 100);
  if (q.status) query = query.where('status', '=', q.status);
  if (q.fingerprint) {
    const fp = q.fingerprint;
    query = query.where('id', 'in', (eb) => eb.selectFrom('notify_outbox_alerts').select('outbox_id').where('fingerprint', '=', fp));
  }
  return (await query.execute()).map(toNotification);
}

export async function getNotification(database: Database, id: number): Promise<NotificationDetail> {
  const row = await database.db.selectFrom('notify_outbox').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound(`notification ${id}`);
  const attempts = await database.db.selectFrom('notify_attempts').selectAll().where('outbox_id', '=', id).orderBy('id').execute();
  return {
    ...toNotification(row),
    attemptLog: attempts.map((a) => ({
      attempt: a.attempt,
      startedAt: isoTime(a.started_at),
      durationMs: a.duration_ms,
      outcome: a.outcome,
      providerCode: a.provider_code,
      error: a.error,
      messageId: a.message_id,
      merged: a.merged,
    })),
  };
}

/** Sends a dead notification again (after the channel was fixed): back to pending with a fresh attempt budget. */
export async function retryNotification(deps: NotificationDeps, actor: Actor, id: number): Promise<Notification> {
  const at = toDbTime(deps.clock.now());
  return deps.database.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('notify_outbox').select(['status', 'channel']).where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound(`notification ${id}`);
    if (row.status !== 'dead') throw conflict(`notification ${id} is ${row.status}; only a dead notification is sent again`, { status: row.status });
    await trx.updateTable('notify_outbox').set({ status: 'pending', attempts: 0, next_attempt_at: at, claimed_until: null, updated_at: at }).where('id', '=', id).execute();
    await deps.audit.record({ ...actor, action: 'notify.retry', target: `notification:${id}`, result: 'success', details: { channel: row.channel } }, trx);
    return toNotification(await trx.selectFrom('notify_outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow());
  });
}

/** Counts per status, for the metrics and the CLI's summary. */
export async function outboxCounts(database: Database): Promise<Record<NotificationStatus, number>> {
  const rows = await database.db
    .selectFrom('notify_outbox')
    .select((eb) => ['status', eb.fn.countAll<number>().as('n')])
    .groupBy('status')
    .execute();
  const out: Record<NotificationStatus, number> = { pending: 0, queued: 0, sending: 0, sent: 0, merged: 0, cancelled: 0, dead: 0 };
  for (const r of rows) out[r.status] = Number(r.n);
  return out;
}
