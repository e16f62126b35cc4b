import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlerting } from '../../src/app/alerting.js';
import { startRelayRole } from '../../src/app/roles/relay.js';
import type { RunningRole } from '../../src/app/roles/role.js';
import { alertmanagerPayload } from '../support/alertmanagerPayload.js';
import { waitFor } from '../support/waitFor.js';
import { SERVICES } from '../support/services.js';
import { startSmtpServer } from '../support/smtpServer.js';
import { startTcpProxy, type TcpProxy } from '../support/tcpProxy.js';
import { startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

const TOKEN = 'alertmanager-webhook-token-0123';

/**
 * The platform's own database goes down (a 数据库不可用 alert is exactly then): the alert is kept on
 * local disk and the on-call contact gets the e-mail at once; when the database returns the alert
 * is stored, its incident opens, and the e-mail is recorded as sent — not sent again.
 */
describe('alerts while the platform database is down (MariaDB behind a proxy the test cuts)', () => {
  let tp: TestPlatform;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let proxy: TcpProxy;
  let relay: RunningRole;
  beforeAll(async () => {
    const mysql = new URL(SERVICES.mysql);
    proxy = await startTcpProxy(mysql.hostname, Number(mysql.port || 3306));
    mysql.host = `127.0.0.1:${proxy.port}`;
    smtp = await startSmtpServer('alerts', 'smtp-pass-1');
    tp = await startTestPlatform('real', {
      urls: { mysqlBase: mysql.toString().replace(/\/$/, '') },
      env: { MCP_ALERT_WEBHOOK_TOKEN: TOKEN, MCP_SMTP_URL: `smtp://alerts:smtp-pass-1@127.0.0.1:${smtp.port}`, MCP_NOTIFY_EMAIL_TO: 'dba@example.com', MCP_DB_POOL_TIMEOUT: '2' },
    });
    const { delivery, escalation } = createAlerting(tp.platform);
    relay = await startRelayRole({ bus: tp.platform.bus, delivery, escalation, log: tp.platform.log, intervalMs: 50 });
  });
  afterAll(async () => {
    await proxy?.restore().catch(() => undefined);
    await relay?.stop();
    await tp?.close();
    await smtp?.close();
    await proxy?.close();
  });

  it('spools the alert, e-mails at once, stores it when the database returns, and never e-mails twice', async () => {
    // nothing spooled yet: a replay finds nothing — and must not keep answering that for good
    expect(await createAlerting(tp.platform).replaySpool()).toBe(0);
    proxy.cut();
    const res = await tp.request({
      method: 'POST',
      url: '/api/support/alerts/alertmanager',
      token: TOKEN,
      body: alertmanagerPayload('firing', { fingerprint: 'dbdown01', alertname: '数据库不可用', severity: '紧急' }),
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ received: 1, spooled: true });
    const spoolDir = join(tp.dataDir, 'alert-spool');
    expect(readdirSync(spoolDir).filter((f) => f.endsWith('.json'))).toHaveLength(1);
    const mail = await waitFor('the direct e-mail', () => smtp.mails.find((m) => m.subject.includes('数据库不可用')));
    expect(mail.to).toEqual(['dba@example.com']);

    await proxy.restore();
    expect(await waitFor('the replay', async () => (await createAlerting(tp.platform).replaySpool()) || (readdirSync(spoolDir).length === 0 && 1), 30_000)).toBeTruthy();
    expect(readdirSync(spoolDir).filter((f) => f.endsWith('.json'))).toHaveLength(0);
    const db = tp.platform.database.db;
    expect(await db.selectFrom('alerts').select(['fingerprint', 'status']).execute()).toEqual([{ fingerprint: 'dbdown01', status: 'firing' }]);
    expect(await db.selectFrom('notify_outbox').select(['status', 'last_error']).execute()).toEqual([
      { status: 'sent', last_error: 'sent directly while the database was unavailable' },
    ]);
    expect(await db.selectFrom('incidents').select(['title']).execute()).toEqual([{ title: '数据库不可用' }]);
    await new Promise((r) => setTimeout(r, 500));
    expect(smtp.mails.filter((m) => m.subject.includes('数据库不可用'))).toHaveLength(1);
  }, 60_000);
});
