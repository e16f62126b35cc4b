import type { AlertmanagerPayload } from '../../src/services/support/contract.js';

/** An Alertmanager webhook (v4) payload of one alert, as Alertmanager sends it (manual §3: a DB-down alert by default). */
export function alertmanagerPayload(
  status: 'firing' | 'resolved',
  over: { fingerprint?: string; severity?: string; startsAt?: string; alertname?: string } = {},
): AlertmanagerPayload {
  const startsAt = over.startsAt ?? '2026-11-30T01:00:00.000Z';
  const alertname = over.alertname ?? '数据库不可用';
  const labels = { alertname, severity: over.severity ?? '紧急', instance: 'db1:3306' };
  return {
    version: '4',
    groupKey: `{}:{alertname="${alertname}"}`,
    status,
    receiver: 'mcp-platform',
    groupLabels: { alertname },
    commonLabels: labels,
    commonAnnotations: { summary: 'MySQL 无法连接' },
    externalURL: 'http://alertmanager:9093',
    alerts: [
      {
        status,
        labels,
        annotations: { summary: 'MySQL 无法连接' },
        startsAt,
        endsAt: status === 'resolved' ? '2026-11-30T01:10:00.000Z' : '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus:9090/graph?g0.expr=up',
        fingerprint: over.fingerprint ?? 'a1b2c3d4e5f60718',
      },
    ],
  };
}
