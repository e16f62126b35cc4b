import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlerting } from '../../src/app/alerting.js';
import { startRelayRole } from '../../src/app/roles/relay.js';
import type { RunningRole } from '../../src/app/roles/role.js';
import { alertmanagerPayload } from '../support/alertmanagerPayload.js';
import { waitFor } from '../support/waitFor.js';
import { type HttpReceiver, startHttpReceiver } from '../support/httpReceiver.js';
import { startSmtpServer } from '../support/smtpServer.js';
import { ADMIN_PASSWORD, BACKENDS, startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

const TOKEN = 'alertmanager-webhook-token-0123';
const ROBOT_TOKEN = 'robot-access-token-7f3a';
const ROBOT_SECRET = 'SECd8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7';

/**
 * Issue 11's "done when", over the API as an operator does it: e-mail (MCP_SMTP_URL) and a DingTalk
 * robot configured, the critical 数据库不可用 alert arrives from Alertmanager, both channels deliver
 * (the robot's 加签 signature checked by the receiver), the incident opens, is acknowledged,
 * classified as database, resolved, and its postmortem shows MTTA and MTTR.
 */
describe.each(BACKENDS)('alerting, done when (%s)', (backend) => {
  let tp: TestPlatform;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let robot: HttpReceiver;
  let relay: RunningRole;
  let admin: string;
  beforeAll(async () => {
    smtp = await startSmtpServer('alerts', 'smtp-pass-1');
    robot = await startHttpReceiver({ status: 200, body: { errcode: 0, errmsg: 'ok' } });
    tp = await startTestPlatform(backend, {
      env: { MCP_ALERT_WEBHOOK_TOKEN: TOKEN, MCP_SMTP_URL: `smtp://alerts:smtp-pass-1@127.0.0.1:${smtp.port}`, MCP_NOTIFY_EMAIL_TO: 'oncall@example.com' },
    });
    const { delivery, escalation } = createAlerting(tp.platform);
    relay = await startRelayRole({ bus: tp.platform.bus, delivery, escalation, log: tp.platform.log, intervalMs: 50 });
    admin = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
  });
  afterAll(async () => {
    await relay?.stop();
    await tp?.close();
    await smtp?.close();
    await robot?.close();
  });

  const api = async (method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown) => {
    const res = await tp.request({ method, url, token: admin, body });
    expect(res.status, `${method} ${url}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
    return res.body;
  };

  it('the critical alert reaches e-mail and the DingTalk robot; the incident is worked through to its postmortem', async () => {
    const channel = await api('POST', '/api/support/notify/channels', {
      name: 'ops-robot',
      type: 'dingtalk',
      config: { webhookUrl: `${robot.url}/robot/send?access_token=${ROBOT_TOKEN}`, secret: ROBOT_SECRET },
    });
    expect(JSON.stringify(channel)).not.toContain(ROBOT_SECRET);
    expect(JSON.stringify(channel)).not.toContain(ROBOT_TOKEN);
    await api('PUT', '/api/support/notify/routes/critical', { channels: ['email', 'ops-robot'], groups: [] });

    const res = await tp.request({
      method: 'POST',
      url: '/api/support/alerts/alertmanager?channels=phone,sms,email',
      token: TOKEN,
      body: alertmanagerPayload('firing', { fingerprint: 'donewhen01', alertname: '数据库不可用', severity: 'critical' }),
    });
    expect(res.status).toBe(200);

    const mail = await waitFor('the e-mail', () => smtp.mails.find((m) => m.subject.includes('数据库不可用')));
    expect(mail.to).toEqual(['oncall@example.com']);
    expect(mail.subject).toContain('紧急');
    const post = await waitFor('the robot message', () => robot.requests.find((r) => r.path === '/robot/send'));
    expect(post.query.access_token).toBe(ROBOT_TOKEN);
    const sign = createHmac('sha256', ROBOT_SECRET).update(`${post.query.timestamp}\n${ROBOT_SECRET}`).digest('base64');
    expect(post.query.sign).toBe(sign);
    const body = post.json as { msgtype: string; markdown: { title: string; text: string } };
    expect(body.msgtype).toBe('markdown');
    expect(body.markdown.text).toContain('数据库不可用');

    const incident = await waitFor('the incident to be notified', async () => {
      const list = await api('GET', '/api/ops/incidents');
      return (list.items as { id: number; status: string; title: string }[]).find((i) => i.title === '数据库不可用' && i.status === 'notified');
    });
    await api('POST', `/api/ops/incidents/${incident.id}/ack`, { note: 'DBA 已接手' });
    await api('POST', `/api/ops/incidents/${incident.id}/classify`, { type: 'database' });
    const detail = await api('GET', `/api/ops/incidents/${incident.id}`);
    expect(detail.suggestions.map((s: { command?: string }) => s.command)).toEqual(expect.arrayContaining(['mcp-platform db status']));
    const resolved = await api('POST', `/api/ops/incidents/${incident.id}/resolve`, { confirm: true, note: '主库已恢复' });
    expect(resolved.status).toBe('recovered');
    const pm = await api('POST', `/api/ops/incidents/${incident.id}/postmortem`, { impact: '写入失败 3 分钟', causes: '主库磁盘满', actions: '扩容并加告警' });
    expect(JSON.stringify(pm)).toContain('MTTA');
    const list = await api('GET', '/api/ops/incidents');
    expect(list.stats.critical.mttaSeconds).not.toBeNull();
    expect(list.stats.critical.mttrSeconds).not.toBeNull();
    // the alert was acknowledged with its incident: nothing more is sent for it
    expect(await tp.platform.database.db.selectFrom('alerts').select(['acknowledged_by']).where('fingerprint', '=', 'donewhen01').executeTakeFirst()).toEqual({
      acknowledged_by: 'admin',
    });
    expect(smtp.mails.filter((m) => m.subject.includes('数据库不可用'))).toHaveLength(1);
    expect(robot.requests.filter((r) => r.path === '/robot/send')).toHaveLength(1);
  });
});
