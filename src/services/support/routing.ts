import type { Executor } from '../../infra/db/database.js';
import { toDbTime } from '../../infra/db/time.js';
import type { ChannelType } from '../../infra/notify/channel.js';
import type { AlertSeverity, SilenceMatcher } from './contract.js';

/**
 * Who an alert notifies, and through which channels (issue 11 items 2 and 5; manual §3.1). Reads
 * only, so the delivery pipeline runs it inside the alert's transaction and writes the plan to its
 * outbox there.
 *
 * 1. An active silence or maintenance window whose matchers all match the alert's labels
 *    (`alertname` is the alert's name) silences it: no delivery.
 * 2. Else the severity's route: the stored one (its channels by name, to its groups' contacts), or
 *    the manual's default — every enabled channel of the severity's channel types
 *    (`DEFAULT_ROUTE_TYPES`), to every contact.
 * 3. Recipients by channel type: e-mail → the contacts' addresses plus MCP_NOTIFY_EMAIL_TO; SMS and
 *    voice → their phones (skipped, with the reason, when there is none); robots → the phones to
 *    @mention (may be none); webhook → none; log → the addresses (needs none).
 * 4. First set-up: with MCP_SMTP_URL and no stored e-mail channel, the built-in channel `email`
 *    (from the environment) is the default route's e-mail channel.
 * 5. When nothing can deliver, the built-in `log` channel does, so nothing is silently dropped.
 */
export interface PlannedDelivery {
  channel: string;
  type: ChannelType;
  to: string[];
}

export interface SkippedDelivery {
  channel: string;
  reason: string;
}

export interface NotificationPlan {
  silencedBy: { id: number; kind: 'silence' | 'maintenance' } | null;
  deliveries: PlannedDelivery[];
  skipped: SkippedDelivery[];
}

export interface RoutingAlert {
  name: string;
  severity: AlertSeverity;
  labels: Record<string, string>;
}

export interface RoutingEnv {
  /** MCP_NOTIFY_EMAIL_TO: receives every severity's e-mail. */
  emailTo: string[];
  /** MCP_SMTP_URL is set: the built-in `email` channel exists. */
  smtpConfigured: boolean;
}

/** Manual §3.1: 紧急 → 电话+短信+邮件, 重要 → 短信+邮件, 一般 → 邮件. */
export const DEFAULT_ROUTE_TYPES: Record<AlertSeverity, readonly ChannelType[]> = {
  critical: ['voice', 'sms', 'email'],
  major: ['sms', 'email'],
  minor: ['email'],
};

/** The built-in channels: not stored, named by these reserved names. */
export const BUILTIN_EMAIL = 'email';
export const BUILTIN_LOG = 'log';

/** A label's value as matchers see it: `alertname` defaults to the alert's name; a missing label is empty (as in Alertmanager). */
function labelOf(alert: RoutingAlert, name: string): string {
  return alert.labels[name] ?? (name === 'alertname' ? alert.name : '');
}

/** Whether every matcher matches (a regex matcher must match the whole value). No matcher matches everything. */
export function matchesAll(matchers: readonly SilenceMatcher[], alert: RoutingAlert): boolean {
  return matchers.every((m) => {
    const value = labelOf(alert, m.name);
    if (!m.regex) return value === m.value;
    try {
      return new RegExp(`^(?:${m.value})$`, 'u').test(value);
    } catch {
      return false;
    }
  });
}

/** The first (oldest) active silence or maintenance window that matches the alert, if any. */
export async function findSilence(x: Executor, alert: RoutingAlert, now: Date): Promise<NotificationPlan['silencedBy']> {
  const t = toDbTime(now);
  const rows = await x
    .selectFrom('notify_silences')
    .select(['id', 'kind', 'matchers'])
    .where('expired_at', 'is', null)
    .where('starts_at', '<=', t)
    .where('ends_at', '>', t)
    .orderBy('id')
    .execute();
  for (const r of rows) if (matchesAll(JSON.parse(r.matchers) as SilenceMatcher[], alert)) return { id: r.id, kind: r.kind };
  return null;
}

const uniq = (xs: (string | null)[]) => [...new Set(xs.filter((x): x is string => !!x))];

export async function planNotifications(x: Executor, alert: RoutingAlert, now: Date, env: RoutingEnv): Promise<NotificationPlan> {
  const silencedBy = await findSilence(x, alert, now);
  if (silencedBy) return { silencedBy, deliveries: [], skipped: [] };

  const route = await x.selectFrom('notify_routes').selectAll().where('severity', '=', alert.severity).executeTakeFirst();
  const stored = await x.selectFrom('notify_channels').select(['name', 'type', 'enabled']).orderBy('name').execute();
  const skipped: SkippedDelivery[] = [];
  const chosen: { channel: string; type: ChannelType }[] = [];

  let contacts: { email: string | null; phone: string | null }[];
  if (route) {
    for (const name of JSON.parse(route.channels) as string[]) {
      if (name === BUILTIN_LOG) chosen.push({ channel: name, type: 'log' });
      else if (name === BUILTIN_EMAIL) {
        if (env.smtpConfigured) chosen.push({ channel: name, type: 'email' });
        else skipped.push({ channel: name, reason: 'MCP_SMTP_URL is not set' });
      } else {
        const c = stored.find((s) => s.name === name);
        if (!c) skipped.push({ channel: name, reason: 'channel not found' });
        else if (!c.enabled) skipped.push({ channel: name, reason: 'channel disabled' });
        else chosen.push({ channel: c.name, type: c.type });
      }
    }
    const groups = JSON.parse(route.groups) as string[];
    contacts = groups.length
      ? await x
          .selectFrom('notify_contacts as c')
          .innerJoin('notify_group_members as m', 'm.contact_id', 'c.id')
          .innerJoin('notify_groups as g', 'g.id', 'm.group_id')
          .where('g.name', 'in', groups)
          .select(['c.email', 'c.phone'])
          .orderBy('c.id')
          .execute()
      : [];
  } else {
    for (const type of DEFAULT_ROUTE_TYPES[alert.severity]) {
      const ofType = stored.filter((s) => s.type === type);
      for (const c of ofType) if (c.enabled) chosen.push({ channel: c.name, type });
      if (type === 'email' && ofType.length === 0 && env.smtpConfigured) chosen.push({ channel: BUILTIN_EMAIL, type: 'email' });
    }
    contacts = await x.selectFrom('notify_contacts').select(['email', 'phone']).orderBy('id').execute();
  }

  const emails = uniq([...contacts.map((c) => c.email), ...env.emailTo]);
  const phones = uniq(contacts.map((c) => c.phone));
  const deliveries: PlannedDelivery[] = [];
  for (const c of chosen) {
    if (deliveries.some((d) => d.channel === c.channel)) continue;
    if (c.type === 'email') {
      if (emails.length) deliveries.push({ ...c, to: emails });
      else skipped.push({ channel: c.channel, reason: 'no e-mail recipient (add contacts with an address, or set MCP_NOTIFY_EMAIL_TO)' });
    } else if (c.type === 'sms' || c.type === 'voice') {
      if (phones.length) deliveries.push({ ...c, to: phones });
      else skipped.push({ channel: c.channel, reason: 'no phone recipient (add contacts with a phone number)' });
    } else if (c.type === 'webhook') deliveries.push({ ...c, to: [] });
    else if (c.type === 'log') deliveries.push({ ...c, to: emails });
    else deliveries.push({ ...c, to: phones });
  }
  if (deliveries.length === 0) deliveries.push({ channel: BUILTIN_LOG, type: 'log', to: emails });
  return { silencedBy: null, deliveries, skipped };
}
