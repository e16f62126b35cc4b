import type { AlertService } from '../../services/support/contract.js';

export const SWITCHOVER_ALERT = '数据库主从切换';

/**
 * A switchover's notice through the alerting pipeline (issue 11): a minor alert named
 * 数据库主从切换, fired and resolved at once, so it is routed, delivered and recorded like any alert.
 */
export function switchoverAnnouncer(alerts: Pick<AlertService, 'receiveAlertmanager'>, now: () => Date = () => new Date()): (summary: string) => Promise<void> {
  return async (summary) => {
    const at = now();
    const fingerprint = `dbswitch${at.getTime().toString(36)}`;
    const labels = { alertname: SWITCHOVER_ALERT, severity: 'minor' };
    const annotations = { summary };
    for (const status of ['firing', 'resolved'] as const) {
      await alerts.receiveAlertmanager({
        version: '4',
        groupKey: `{}:{alertname="${SWITCHOVER_ALERT}"}`,
        status,
        receiver: 'mcp-platform',
        groupLabels: { alertname: SWITCHOVER_ALERT },
        commonLabels: labels,
        commonAnnotations: annotations,
        externalURL: '',
        alerts: [
          {
            status,
            labels,
            annotations,
            startsAt: at.toISOString(),
            endsAt: status === 'resolved' ? new Date(at.getTime() + 1).toISOString() : '0001-01-01T00:00:00Z',
            generatorURL: '',
            fingerprint,
          },
        ],
      });
    }
  };
}
