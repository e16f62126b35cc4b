import type { AlertService } from '../../services/support/contract.js';

export const SWITCHOVER_ALERT = '数据库主从切换';

type Alerts = Pick<AlertService, 'receiveAlertmanager'>;
type HaSeverity = 'critical' | 'major' | 'minor';

/** One HA alert as the alerting pipeline receives it (issue 11): routed, delivered and recorded like any alert. */
async function raise(alerts: Alerts, a: { name: string; severity: HaSeverity; status: 'firing' | 'resolved'; summary: string; fingerprint: string; at: Date }): Promise<void> {
  const labels = { alertname: a.name, severity: a.severity };
  const annotations = { summary: a.summary };
  await alerts.receiveAlertmanager({
    version: '4',
    groupKey: `{}:{alertname="${a.name}"}`,
    status: a.status,
    receiver: 'mcp-platform',
    groupLabels: { alertname: a.name },
    commonLabels: labels,
    commonAnnotations: annotations,
    externalURL: '',
    alerts: [
      {
        status: a.status,
        labels,
        annotations,
        startsAt: a.at.toISOString(),
        endsAt: a.status === 'resolved' ? new Date(a.at.getTime() + 1).toISOString() : '0001-01-01T00:00:00Z',
        generatorURL: '',
        fingerprint: a.fingerprint,
      },
    ],
  });
}

/** A switchover's notice: a minor alert named 数据库主从切换, fired and resolved at once. */
export function switchoverAnnouncer(alerts: Alerts, now: () => Date = () => new Date()): (summary: string) => Promise<void> {
  return async (summary) => {
    const at = now();
    const fingerprint = `dbswitch${at.getTime().toString(36)}`;
    for (const status of ['firing', 'resolved'] as const) await raise(alerts, { name: SWITCHOVER_ALERT, severity: 'minor', status, summary, fingerprint, at });
  };
}

/**
 * An HA alert (failover, needs a person, semi-sync fallback): `firing` or `resolved`, under a
 * stable fingerprint per name so a later `resolved` closes the same alert.
 */
export function haAlerter(alerts: Alerts, now: () => Date = () => new Date()) {
  return (name: string, severity: HaSeverity, status: 'firing' | 'resolved', summary: string, suffix = ''): Promise<void> =>
    raise(alerts, { name, severity, status, summary, fingerprint: `ha${Buffer.from(name).toString('hex').slice(0, 16)}${suffix}`, at: now() });
}
