import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertmanagerPayload } from '../../support/alertmanagerPayload.js';
import { ADMIN_PASSWORD, BACKENDS, startTestPlatform, type TestPlatform } from '../../support/testPlatform.js';

/** The webhook and incidents wired together (SPEC INC-3): critical and major alerts open an incident, a resolved one proposes closing it. */
const TOKEN = 'alertmanager-webhook-token-0123';

const payload = (status: 'firing' | 'resolved', severity: string, fingerprint: string, alertname: string) =>
  alertmanagerPayload(status, { severity, fingerprint, alertname, startsAt: '2026-11-30T01:00:00.000Z' });

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
