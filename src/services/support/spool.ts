import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { ChannelType, NotificationChannel } from '../../infra/notify/channel.js';
import { alertMessage, digestMessage } from '../../i18n/notifyText.js';
import type { Lang } from '../../i18n/messages.js';
import { severityOf } from './alertService.js';
import type { AlertmanagerPayload, AlertSeverity } from './contract.js';
import { idempotencyKey, type NotifiedAlert, type PlannedDelivery } from './outbox.js';

/**
 * When the platform's own database is down — the very fault a 数据库不可用 alert announces — an
 * alert cannot be stored, and its notification cannot wait for the database to return. The
 * receiver then writes the payload to a spool on local disk (fsynced, 0600), answers Alertmanager,
 * and sends the notifications at once through the routes and channels it last read (or the
 * first-set-up e-mail, or the log). When the database answers again the spool is replayed through
 * the normal path; the notifications already sent are recorded as sent, not sent twice.
 */
export interface SpoolEntry {
  file: string;
  payload: AlertmanagerPayload;
  /** Idempotency keys of the notifications sent directly. */
  sentKeys: string[];
}

export interface AlertSpool {
  write(payload: AlertmanagerPayload): string;
  markSent(file: string, keys: readonly string[]): void;
  entries(): SpoolEntry[];
  remove(file: string): void;
}

export function createAlertSpool(dir: string): AlertSpool {
  const ensure = () => mkdirSync(dir, { recursive: true, mode: 0o700 });
  const writeAtomically = (name: string, data: object) => {
    ensure();
    const tmp = join(dir, `.${name}.tmp`);
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify(data));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(dir, name));
    const d = openSync(dir, 'r');
    try {
      fsyncSync(d);
    } finally {
      closeSync(d);
    }
  };
  return {
    write(payload) {
      const name = `${Date.now().toString().padStart(15, '0')}-${createHash('sha256').update(JSON.stringify(payload)).digest('hex').slice(0, 12)}.json`;
      writeAtomically(name, { payload, sentKeys: [] });
      return name;
    },
    markSent(file, keys) {
      const current = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Omit<SpoolEntry, 'file'>;
      writeAtomically(file, { payload: current.payload, sentKeys: [...new Set([...current.sentKeys, ...keys])] });
    },
    entries() {
      let names: string[];
      try {
        names = readdirSync(dir).filter((n) => n.endsWith('.json') && !n.startsWith('.'));
      } catch {
        return [];
      }
      return names.sort().map((file) => ({ file, ...(JSON.parse(readFileSync(join(dir, file), 'utf8')) as Omit<SpoolEntry, 'file'>) }));
    },
    remove(file) {
      rmSync(join(dir, file), { force: true });
    },
  };
}

/** The alerts of a payload as notifications announce them. */
export function payloadAlerts(payload: AlertmanagerPayload): NotifiedAlert[] {
  return payload.alerts.map((a) => ({
    fingerprint: a.fingerprint,
    name: (a.labels.alertname ?? payload.commonLabels.alertname ?? a.fingerprint).slice(0, 255),
    severity: severityOf(a.labels.severity ?? payload.commonLabels.severity),
    status: a.status,
    summary: a.annotations.summary ?? a.annotations.description ?? null,
    description: a.annotations.description ?? null,
    labels: a.labels,
    startsAt: new Date(a.startsAt).toISOString(),
    endsAt: a.status === 'resolved' ? new Date(a.endsAt).toISOString() : null,
    generatorURL: a.generatorURL || null,
  }));
}

export interface DirectDeliveryDeps {
  /** The routes last read from the database (or the first-set-up default) for a severity. */
  routeOf(severity: AlertSeverity): PlannedDelivery[];
  /** A channel without the database: the one last loaded, or a built-in. */
  channel(name: string, type: ChannelType): NotificationChannel | undefined;
  log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  lang: Lang;
}

/** Sends a spooled payload's notifications directly (no outbox), returning the keys sent. */
export async function deliverDirectly(deps: DirectDeliveryDeps, payload: AlertmanagerPayload): Promise<string[]> {
  const groups = new Map<string, { delivery: PlannedDelivery; alerts: NotifiedAlert[] }>();
  for (const alert of payloadAlerts(payload)) {
    for (const d of deps.routeOf(alert.severity)) {
      const key = JSON.stringify([d.channel, [...d.to].sort(), alert.status]);
      const g = groups.get(key) ?? { delivery: d, alerts: [] };
      g.alerts.push(alert);
      groups.set(key, g);
    }
  }
  const sent: string[] = [];
  for (const g of groups.values()) {
    const channel = deps.channel(g.delivery.channel, g.delivery.type);
    if (!channel) continue;
    const kind = g.alerts[0]!.status;
    const key = idempotencyKey(g.delivery, kind, 0, g.alerts);
    const msg = g.alerts.length === 1 ? alertMessage(g.alerts[0]!, { lang: deps.lang }) : digestMessage(g.alerts, { lang: deps.lang });
    try {
      await channel.send({ subject: msg.subject, text: msg.text, fields: msg.fields, to: g.delivery.to, idempotencyKey: key });
      sent.push(key);
    } catch (e) {
      // left to the outbox when the database returns: the replay writes it as pending
      deps.log.error({ err: (e as Error).message, channel: g.delivery.channel }, 'direct notification (database down) failed; it is sent when the database returns');
    }
  }
  return sent;
}
