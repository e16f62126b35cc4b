import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, BACKENDS, startTestPlatform, type TestPlatform } from '../../support/testPlatform.js';

/** The webhook and incidents wired together (SPEC INC-3): critical and major alerts open an incident, a resolved one proposes closing it. */
const TOKEN = 'alertmanager-webhook-token-0123';

function payload(status: 'firing' | 'resolved', severity: string, fingerprint: string, alertname: string) {
  const labels = { alertname, severity, instance: 'db1:3306' };
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
        startsAt: '2026-11-30T01:00:00.000Z',
        endsAt: status === 'resolved' ? '2026-11-30T01:10:00.000Z' : '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus:9090/graph?g0.expr=up',
        fingerprint,
      },
    ],
  };
}

describe.each(BACKENDS)('alerts open incidents (%s)', (backend) => {
  let tp: TestPlatform;
  let admin: string;
  beforeAll(async () => {
    tp = await startTestPlatform(backend, { env: { MCP_ALERT_WEBHOOK_TOKEN: TOKEN } });
    admin = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
  });
  afterAll(async () => tp?.close());

  const post = (body: unknown) => tp.request({ method: 'POST', url: '/api/support/alerts/alertmanager', headers: { authorization: `Bearer ${TOKEN}` }, body });
  const incidents = async () =>
    (await tp.request({ method: 'GET', url: '/api/ops/incidents', token: admin })).body.items as { id: number; severity: string; status: string; title: string }[];

  it('a critical alert opens one incident, delivered twice still one; a minor alert opens none; its resolution proposes closing', async () => {
    expect((await post(payload('firing', '紧急', '0a1b2c3d4e5f6071', '数据库不可用'))).status).toBe(200);
    expect((await post(payload('firing', '紧急', '0a1b2c3d4e5f6071', '数据库不可用'))).status).toBe(200);
    expect((await post(payload('firing', '一般', '0f1e2d3c4b5a6978', 'CPU使用率过高'))).status).toBe(200);
    const open = await incidents();
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ severity: 'critical', status: 'detected' });

    expect((await post(payload('resolved', '紧急', '0a1b2c3d4e5f6071', '数据库不可用'))).status).toBe(200);
    const shown = (await tp.request({ method: 'GET', url: `/api/ops/incidents/${open[0]!.id}`, token: admin })).body;
    expect(shown.status).toBe('detected'); // proposed, never closed by the alert alone
    expect(shown.closeProposedAt).toEqual(expect.stringMatching(/Z$/));
  });
});
