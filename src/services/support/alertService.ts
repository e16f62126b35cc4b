import type { Database } from '../../infra/db/database.js';
import type { AlertEventsTable } from '../../infra/db/schema.js';
import { isoTime, toDbTime } from '../../infra/db/time.js';
import { isUniqueViolation } from '../../infra/db/uniqueViolation.js';
import type { Clock } from '../../infra/clock.js';
import type { AuditLog } from '../system/contract.js';
import type { Alert, AlertChange, AlertmanagerPayload, AlertService, AlertSeverity } from './contract.js';
import { type NotifiedAlert, type Planner, writeNotifications } from './outbox.js';

/**
 * The `severity` label as the platform's severity: the manual's 紧急/重要/一般 (§3.1) and
 * critical/major/minor; `warning` and `info` are minor. A missing or unknown label is minor.
 */
export function severityOf(label: string | undefined): AlertSeverity {
  switch ((label ?? '').trim().toLowerCase()) {
    case '紧急':
    case 'critical':
    case 'page':
      return 'critical';
    case '重要':
    case 'major':
    case 'high':
    case 'error':
      return 'major';
    default:
      return 'minor';
  }
}

export interface AlertServiceDeps {
  database: Database;
  audit: AuditLog;
  clock: Clock;
  /** Called after the alerts are stored, once per new firing or resolved notification (never for a repeated delivery). */
  onAlert?: (change: AlertChange) => Promise<void> | void;
  log?: { error(obj: object, msg: string): void };
  /**
   * Notifications: each change's notifications are written to the outbox in the change's own
   * transaction (routing by `plan`); `written` is told after the commit, so a relay in this
   * process can publish at once. Without it nothing is notified (tests of storage alone).
   */
  notify?: { plan: Planner; written?: () => void };
  /**
   * When the database cannot store a payload (it is down): keep it on local disk and notify
   * directly (spool.ts). Without it the receiver answers 503 and Alertmanager retries.
   */
  spool?: { accept(payload: AlertmanagerPayload): Promise<void> };
}

/** The receiving Alertmanager's actor in the audit log. */
const ALERTMANAGER = { actorId: null, actor: 'alertmanager' } as const;

export function createAlertService(deps: AlertServiceDeps): AlertService {
  const { database, audit, clock } = deps;
  const db = database.db;

  return {
    async receiveAlertmanager(payload, options = {}) {
      const sentKeys = options.sentKeys ? new Set(options.sentKeys) : undefined;
      const now = toDbTime(clock.now());
      const store = () =>
        db.transaction().execute(async (trx) => {
          const changes: AlertChange[] = [];
          const announce: NotifiedAlert[] = [];
          for (const a of payload.alerts) {
            const startsAt = toDbTime(new Date(a.startsAt));
            // Alertmanager sends endsAt 0001-01-01T00:00:00Z (or a future estimate) while an alert fires.
            const endsAt = a.status === 'resolved' ? toDbTime(new Date(a.endsAt)) : null;
            const event: Omit<AlertEventsTable, 'id'> = {
              fingerprint: a.fingerprint,
              status: a.status,
              starts_at: startsAt,
              ends_at: endsAt,
              received_at: now,
              receiver: payload.receiver,
            };
            const seen = await trx
              .selectFrom('alert_events')
              .select('id')
              .where('fingerprint', '=', a.fingerprint)
              .where('starts_at', '=', startsAt)
              .where('status', '=', a.status)
              .executeTakeFirst();
            if (seen) continue;
            await trx.insertInto('alert_events').values(event).execute();

            const name = (a.labels.alertname ?? payload.commonLabels.alertname ?? a.fingerprint).slice(0, 255);
            const severity = severityOf(a.labels.severity ?? payload.commonLabels.severity);
            const summary = a.annotations.summary ?? a.annotations.description ?? null;
            const row = {
              name,
              severity,
              status: a.status,
              summary,
              labels: JSON.stringify(a.labels),
              annotations: JSON.stringify(a.annotations),
              generator_url: a.generatorURL || null,
              starts_at: startsAt,
              ends_at: endsAt,
              updated_at: now,
            };
            const current = await trx.selectFrom('alerts').select(['starts_at', 'status', 'acknowledged_at']).where('fingerprint', '=', a.fingerprint).executeTakeFirst();
            if (!current)
              await trx
                .insertInto('alerts')
                .values({ fingerprint: a.fingerprint, ...row })
                .execute();
            // A new episode starts unacknowledged, unnotified and unescalated.
            else if (startsAt > current.starts_at)
              await trx
                .updateTable('alerts')
                .set({ ...row, acknowledged_at: null, acknowledged_by: null, notified_at: null, escalations: 0 })
                .where('fingerprint', '=', a.fingerprint)
                .execute();
            // The current state follows the newest episode; a late firing of an episode already resolved does not reopen it.
            else if (startsAt === current.starts_at && a.status === 'resolved') await trx.updateTable('alerts').set(row).where('fingerprint', '=', a.fingerprint).execute();
            else continue;
            // Nothing more is sent for an episode a person acknowledged.
            const acknowledged = current !== undefined && startsAt === current.starts_at && current.acknowledged_at !== null;
            if (!acknowledged)
              announce.push({
                fingerprint: a.fingerprint,
                name,
                severity,
                status: a.status,
                summary,
                description: a.annotations.description ?? null,
                labels: a.labels,
                startsAt: isoTime(startsAt),
                endsAt: isoTime(endsAt),
                generatorURL: a.generatorURL || null,
              });
            changes.push({ status: a.status, fingerprint: a.fingerprint, name, severity, ...(summary ? { summary } : {}), startsAt: isoTime(startsAt) });
          }
          if (changes.length === 0) return changes;
          if (deps.notify && announce.length) {
            const { fingerprints } = await writeNotifications(trx, deps.notify.plan, announce, clock.now(), { sentKeys });
            const firing = announce.filter((a) => a.status === 'firing' && fingerprints.has(a.fingerprint)).map((a) => a.fingerprint);
            if (firing.length) await trx.updateTable('alerts').set({ notified_at: now }).where('fingerprint', 'in', firing).where('notified_at', 'is', null).execute();
          }
          await audit.record(
            {
              ...ALERTMANAGER,
              action: 'alert.received',
              target: payload.groupKey.slice(0, 255),
              result: 'success',
              details: {
                receiver: payload.receiver,
                status: payload.status,
                alerts: payload.alerts.length,
                changes: changes.map((c) => ({ fingerprint: c.fingerprint, name: c.name, status: c.status, severity: c.severity })),
              },
            },
            trx,
          );
          return changes;
        });
      let changes: AlertChange[] | undefined;
      for (let attempt = 1; !changes; attempt++) {
        try {
          changes = await store();
        } catch (e) {
          if (
            deps.spool &&
            !options.sentKeys &&
            !(await database.ping(1000).then(
              () => true,
              () => false,
            ))
          ) {
            await deps.spool.accept(payload);
            deps.log?.error({ err: e, alerts: payload.alerts.length }, 'the database is unavailable: alerts spooled to local disk and notified directly');
            return { received: payload.alerts.length, changed: payload.alerts.length, spooled: true };
          }
          // A concurrent delivery of the same notifications took a unique key first: run again over what it committed.
          if (!isUniqueViolation(e) || attempt === 3) throw e;
        }
      }
      if (changes.length) deps.notify?.written?.();
      for (const change of changes) {
        try {
          await deps.onAlert?.(change);
        } catch (e) {
          // The alert is stored; a failing consumer must not make Alertmanager resend (and duplicate) it.
          deps.log?.error({ err: e, fingerprint: change.fingerprint }, 'alert consumer failed');
        }
      }
      return { received: payload.alerts.length, changed: changes.length };
    },

    async list(query) {
      let q = db.selectFrom('alerts').selectAll().orderBy('starts_at', 'desc').orderBy('fingerprint');
      if (query.status) q = q.where('status', '=', query.status);
      if (query.severity) q = q.where('severity', '=', query.severity);
      const rows = await q.execute();
      return rows.map(
        (r): Alert => ({
          fingerprint: r.fingerprint,
          name: r.name,
          severity: r.severity,
          status: r.status,
          summary: r.summary,
          labels: JSON.parse(r.labels) as Record<string, string>,
          annotations: JSON.parse(r.annotations) as Record<string, string>,
          generatorURL: r.generator_url,
          startsAt: isoTime(r.starts_at),
          endsAt: isoTime(r.ends_at),
          updatedAt: isoTime(r.updated_at),
          acknowledgedAt: r.acknowledged_at ? isoTime(r.acknowledged_at) : null,
          acknowledgedBy: r.acknowledged_by ?? null,
        }),
      );
    },
  };
}
