import type { NotifyMessage } from '../infra/notify/channel.js';
import type { Lang } from './messages.js';

/**
 * Alert → notification text (manual §3): one alert, or several merged into one digest under an
 * alert storm. Chinese by default (【紧急】/【重要】/【一般】, times shown in Asia/Shanghai),
 * English selectable. `fields` feed template providers (Aliyun SMS/TTS variables, webhook JSON):
 * name, severity, status, startsAt, summary, instance (and count for a digest).
 */
export type AlertSeverityName = 'critical' | 'major' | 'minor';

export interface AlertForText {
  name: string;
  severity: AlertSeverityName;
  status: 'firing' | 'resolved';
  summary?: string | null;
  description?: string | null;
  labels: Record<string, string>;
  /** ISO 8601 */
  startsAt: string;
  /** ISO 8601; absent or null while firing. */
  endsAt?: string | null;
  fingerprint: string;
}

export interface AlertTextOptions {
  lang?: Lang;
  /** Where the full alert is shown (console page). */
  link?: string;
  /** The Nth re-sent notification of an unacknowledged alert (1, 2, …). */
  escalation?: number;
}

export type AlertText = Pick<NotifyMessage, 'subject' | 'text'> & { fields: Record<string, string> };

const SEVERITY_RANK: Record<AlertSeverityName, number> = { critical: 3, major: 2, minor: 1 };

const T = {
  'zh-CN': {
    severity: { critical: '紧急', major: '重要', minor: '一般' } as Record<AlertSeverityName, string>,
    prefix: (s: string) => `【${s}】`,
    status: { firing: '告警中', resolved: '已恢复' },
    resolvedTag: '【已恢复】',
    escalation: (n: number) => `（第${n}次升级通知）`,
    escalationLine: (n: number) => `第${n}次升级通知：告警仍未确认，请尽快处理`,
    zone: '（北京时间）',
    name: '告警名称',
    level: '级别',
    state: '状态',
    starts: '开始时间',
    ends: '恢复时间',
    summary: '摘要',
    description: '详情',
    instance: '实例',
    link: '查看详情',
    sep: '：',
    digestSubject: (n: number, firing: number, resolved: number) => `告警合并通知：共${n}条（告警中${firing}条，已恢复${resolved}条）`,
    digestName: (first: string, n: number) => `${first}等${n}条告警`,
    since: (time: string) => `（开始 ${time}）`,
  },
  en: {
    severity: { critical: 'CRITICAL', major: 'MAJOR', minor: 'MINOR' } as Record<AlertSeverityName, string>,
    prefix: (s: string) => `[${s}] `,
    status: { firing: 'firing', resolved: 'resolved' },
    resolvedTag: '[RESOLVED] ',
    escalation: (n: number) => ` (escalation #${n})`,
    escalationLine: (n: number) => `Escalation #${n}: the alert is still not acknowledged, please act now`,
    zone: ' (UTC+08:00)',
    name: 'Alert',
    level: 'Severity',
    state: 'Status',
    starts: 'Started',
    ends: 'Resolved',
    summary: 'Summary',
    description: 'Description',
    instance: 'Instance',
    link: 'Details',
    sep: ': ',
    digestSubject: (n: number, firing: number, resolved: number) => `${n} alerts (${firing} firing, ${resolved} resolved)`,
    digestName: (first: string, n: number) => `${first} and ${n - 1} more`,
    since: (time: string) => ` (since ${time})`,
  },
} as const;

const SHANGHAI = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

/** `2026-11-30 12:00:00` in Asia/Shanghai (UTC+8, no daylight saving); the input unchanged when it is not a time. */
export function shanghaiTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = Object.fromEntries(SHANGHAI.formatToParts(d).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

function instanceOf(alert: AlertForText): string | undefined {
  return alert.labels.instance ?? alert.labels.pod ?? alert.labels.host ?? alert.labels.service;
}

/** The message for one alert (firing or resolved, or its Nth escalation). */
export function alertMessage(alert: AlertForText, o: AlertTextOptions = {}): AlertText {
  const t = T[o.lang ?? 'zh-CN'];
  const severity = t.severity[alert.severity];
  const status = t.status[alert.status];
  const resolved = alert.status === 'resolved';
  const subject = `${t.prefix(severity)}${resolved ? t.resolvedTag : ''}${alert.name}${o.escalation ? t.escalation(o.escalation) : ''}`;
  const instance = instanceOf(alert);
  const line = (label: string, value: string) => `${label}${t.sep}${value}`;
  const lines = [
    ...(o.escalation ? [t.escalationLine(o.escalation)] : []),
    line(t.name, alert.name),
    line(t.level, severity),
    line(t.state, status),
    line(t.starts, `${shanghaiTime(alert.startsAt)}${t.zone}`),
    ...(resolved && alert.endsAt ? [line(t.ends, `${shanghaiTime(alert.endsAt)}${t.zone}`)] : []),
    ...(alert.summary ? [line(t.summary, alert.summary)] : []),
    ...(alert.description ? [line(t.description, alert.description)] : []),
    ...(instance ? [line(t.instance, instance)] : []),
    ...(o.link ? [line(t.link, o.link)] : []),
  ];
  const fields: Record<string, string> = {
    name: alert.name,
    severity,
    status,
    startsAt: shanghaiTime(alert.startsAt),
    summary: alert.summary ?? alert.name,
    instance: instance ?? '',
    fingerprint: alert.fingerprint,
  };
  return { subject, text: lines.join('\n'), fields };
}

/**
 * Several alerts merged into one message (under an alert storm, when a channel's rate limit would
 * otherwise be hit): the count in the subject under the highest severity, one line per alert,
 * most severe and firing first.
 */
export function digestMessage(alerts: readonly AlertForText[], o: AlertTextOptions = {}): AlertText {
  if (alerts.length === 0) throw new Error('digestMessage needs at least one alert');
  if (alerts.length === 1) return alertMessage(alerts[0]!, o);
  const t = T[o.lang ?? 'zh-CN'];
  const sorted = [...alerts].sort(
    (a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || (a.status === b.status ? 0 : a.status === 'firing' ? -1 : 1) || a.startsAt.localeCompare(b.startsAt),
  );
  const top = sorted[0]!;
  const firing = alerts.filter((a) => a.status === 'firing').length;
  const severity = t.severity[top.severity];
  const subject = `${t.prefix(severity)}${t.digestSubject(alerts.length, firing, alerts.length - firing)}${o.escalation ? t.escalation(o.escalation) : ''}`;
  const lines = sorted.map((a) => {
    const instance = instanceOf(a);
    const what = a.summary && a.summary !== a.name ? ` — ${a.summary}` : '';
    const where = instance ? ` @${instance}` : '';
    return `- ${t.prefix(t.severity[a.severity]).trim()}${t.status[a.status]} ${a.name}${what}${where}${t.since(shanghaiTime(a.startsAt))}`;
  });
  const text = [...(o.escalation ? [t.escalationLine(o.escalation)] : []), ...lines, ...(o.link ? [`${t.link}${t.sep}${o.link}`] : [])].join('\n');
  const fields: Record<string, string> = {
    name: t.digestName(top.name, alerts.length),
    severity,
    status: firing > 0 ? t.status.firing : t.status.resolved,
    startsAt: shanghaiTime(sorted.map((a) => a.startsAt).sort()[0]!),
    summary: t.digestSubject(alerts.length, firing, alerts.length - firing),
    instance: instanceOf(top) ?? '',
    count: String(alerts.length),
  };
  return { subject, text, fields };
}
