import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlerting } from '../../src/app/alerting.js';
import { startRelayRole } from '../../src/app/roles/relay.js';
import type { RunningRole } from '../../src/app/roles/role.js';
import { alertmanagerPayload } from '../support/alertmanagerPayload.js';
import { waitFor } from '../support/waitFor.js';
import { SERVICES } from '../support/services.js';
import { startSmtpServer } from '../support/smtpServer.js';
import { startTcpProxy, type TcpProxy } from '../support/tcpProxy.js';
import { BACKENDS, startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

const TOKEN = 'alertmanager-webhook-token-0123';

const firing = (fingerprint: string, alertname = '数据库不可用', severity = '紧急') => alertmanagerPayload('firing', { fingerprint, alertname, severity });

/**
 * The whole path of issue 11 item 5's first set-up: Alertmanager's webhook → the outbox → the relay
 * role → the bus → delivery → the SMTP server named by MCP_SMTP_URL, to MCP_NOTIFY_EMAIL_TO; the
 * incident it opened moves to `notified`.
 */
describe.each(BACKENDS)('relay role: webhook to e-mail (%s)', (backend) => {
  let tp: TestPlatform;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let relay: RunningRole;
  beforeAll(async () => {
    smtp = await startSmtpServer('alerts', 'smtp-pass-1');
    tp = await startTestPlatform(backend, {
      env: { MCP_ALERT_WEBHOOK_TOKEN: TOKEN, MCP_SMTP_URL: `smtp://alerts:smtp-pass-1@127.0.0.1:${smtp.port}`, MCP_NOTIFY_EMAIL_TO: 'oncall@example.com' },
    });
    const { delivery, escalation } = createAlerting(tp.platform);
    relay = await startRelayRole({ bus: tp.platform.bus, delivery, escalation, log: tp.platform.log, intervalMs: 50 });
  });
  afterAll(async () => {
    await relay?.stop();
    await tp?.close();
    await smtp?.close();
  });

  it('a critical alert reaches the on-call contact by e-mail once, and its incident is notified', async () => {
    const res = await tp.request({ method: 'POST', url: '/api/support/alerts/alertmanager?channels=phone,sms,email', token: TOKEN, body: firing('relay001') });
    expect(res.status).toBe(200);
    // Alertmanager retries a webhook it did not see answered: the same payload again notifies nothing more
    expect((await tp.request({ method: 'POST', url: '/api/support/alerts/alertmanager', token: TOKEN, body: firing('relay001') })).status).toBe(200);
    const mail = await waitFor('the e-mail', async () => smtp.mails.find((m) => m.subject.includes('数据库不可用')));
    expect(mail.to).toEqual(['oncall@example.com']);
    expect(mail.subject).toContain('紧急');
    const incident = await waitFor('the incident to be notified', async () => {
      const list = await tp.platform.database.db.selectFrom('incidents').select(['id', 'status']).execute();
      return list.find((i) => i.status === 'notified');
    });
    expect(incident.status).toBe('notified');
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.mails.filter((m) => m.subject.includes('数据库不可用'))).toHaveLength(1);
  });
});

describe('relay role: RabbitMQ cut (real broker behind a proxy the test controls)', () => {
  let tp: TestPlatform;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let relay: RunningRole;
  let proxy: TcpProxy;
  beforeAll(async () => {
    const broker = new URL(SERVICES.amqp);
    proxy = await startTcpProxy(broker.hostname, Number(broker.port || 5672));
    broker.host = `127.0.0.1:${proxy.port}`;
    smtp = await startSmtpServer('alerts', 'smtp-pass-1');
    tp = await startTestPlatform('real', {
      urls: { amqp: broker.toString() },
      env: { MCP_ALERT_WEBHOOK_TOKEN: TOKEN, MCP_SMTP_URL: `smtp://alerts:smtp-pass-1@127.0.0.1:${smtp.port}`, MCP_NOTIFY_EMAIL_TO: 'oncall@example.com' },
    });
    const { delivery, escalation } = createAlerting(tp.platform);
    relay = await startRelayRole({ bus: tp.platform.bus, delivery, escalation, log: tp.platform.log, intervalMs: 50 });
  });
  afterAll(async () => {
    await relay?.stop();
    await tp?.close();
    await smtp?.close();
    await proxy?.close();
  });

  it('while the broker is unreachable the outbox holds every notification; when it returns each is delivered once', async () => {
    // the path works first
    await tp.request({ method: 'POST', url: '/api/support/alerts/alertmanager', token: TOKEN, body: firing('cut000', '告警0', '一般') });
    await waitFor('the first e-mail', async () => smtp.mails.length === 1);

    proxy.cut();
    for (let i = 1; i <= 10; i++) {
      const res = await tp.request({ method: 'POST', url: '/api/support/alerts/alertmanager', token: TOKEN, body: firing(`cut${String(i).padStart(3, '0')}`, `告警${i}`, '一般') });
      // the webhook is accepted: the notification is in the outbox, whatever the broker does
      expect(res.status).toBe(200);
    }
    await new Promise((r) => setTimeout(r, 1_000));
    const held = await tp.platform.database.db.selectFrom('notify_outbox').select(['status']).where('status', '!=', 'sent').execute();
    expect(held).toHaveLength(10);
    expect(smtp.mails).toHaveLength(1);

    await proxy.restore();
    await waitFor('every e-mail after the broker returned', async () => smtp.mails.length >= 11, 30_000);
    await new Promise((r) => setTimeout(r, 500));
    const subjects = smtp.mails.map((m) => m.subject);
    expect(subjects).toHaveLength(11);
    for (let i = 0; i <= 10; i++) expect(subjects.filter((s) => s.endsWith(`告警${i}`))).toHaveLength(1);
    const left = await tp.platform.database.db.selectFrom('notify_outbox').select(['status']).where('status', '!=', 'sent').execute();
    expect(left).toEqual([]);
  }, 60_000);
});
