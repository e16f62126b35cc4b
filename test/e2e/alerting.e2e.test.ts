import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlerting } from '../../src/app/alerting.js';
import { startRelayRole } from '../../src/app/roles/relay.js';
import type { RunningRole } from '../../src/app/roles/role.js';
import { loadRules } from '../deploy/helpers.js';
import { findBinary, freePort, type GroupDaemon, type PromStack, startGroupDaemon, startPromStack } from '../support/promStack.js';
import { hostPort, SERVICES } from '../support/services.js';
import { type ReceivedMail, startSmtpServer } from '../support/smtpServer.js';
import { startTcpProxy, type TcpProxy } from '../support/tcpProxy.js';
import { ADMIN_PASSWORD, BACKENDS, startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

/**
 * End to end (issue 11, SPEC ALR-1…3, INC-3): a monitored MariaDB goes away → mysqld_exporter reports
 * mysql_up 0 → a real Prometheus evaluates the shipped 「数据库不可用」 rule (its `for` cut to 0 s) →
 * a real Alertmanager, running the shipped routing file, calls the platform's webhook with the bearer
 * token from its credentials_file → the platform stores the alert, opens an incident and e-mails the
 * default contact through a real SMTP server. The database comes back → the alert resolves and the
 * incident is proposed for closing.
 *
 * The monitored database is the shared MariaDB reached through a TCP proxy the test cuts (the shared
 * server is never touched); the platform's own database is separate (SQLite, or its own MariaDB database).
 */
const TOKEN = 'e2e-webhook-token-4f1c9a7d2b6e8035';
const SMTP_USER = 'alerts@example.com';
const SMTP_PASS = 'E2e-Smtp-Pass!73';
const ALERT = '数据库不可用';

/** The shipped rule, made to fire at once. */
function dbDownRule() {
  const rule = loadRules().alerts.find((a) => a.alert === ALERT && a.labels.severity === 'critical');
  if (!rule) throw new Error(`deploy/prometheus/rules has no critical rule ${ALERT}`);
  return { alert: rule.alert, expr: rule.expr, for: '0s', labels: rule.labels, annotations: rule.annotations };
}

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, explain: () => string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let v = await read();
  while (!ok(v)) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms; last seen: ${JSON.stringify(v)}\n${explain()}`);
    await new Promise((r) => setTimeout(r, 200));
    v = await read();
  }
  return v;
}

describe.each(BACKENDS)('alerting end to end: Prometheus → Alertmanager → platform → e-mail (%s)', (backend) => {
  let smtp: Awaited<ReturnType<typeof startSmtpServer>> | undefined;
  let tp: TestPlatform | undefined;
  let relay: RunningRole | undefined;
  let monitoredDb: TcpProxy | undefined;
  let exporter: GroupDaemon | undefined;
  let stack: PromStack | undefined;
  let admin: string;

  const explain = () => `${stack?.output() ?? ''}\n--- mysqld_exporter ---\n${exporter?.output() ?? ''}`;
  const api = async (url: string) => {
    const res = await tp!.request({ method: 'GET', url, token: admin });
    if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.items as Record<string, unknown>[];
  };
  const ourAlerts = async () => (await api('/api/ops/alerts')).filter((a) => a.name === ALERT);
  const ourIncidents = async () => (await api('/api/ops/incidents')).filter((i) => i.alertName === ALERT);
  const alertMails = (): ReceivedMail[] => (smtp?.mails ?? []).filter((m) => m.subject.includes(ALERT));

  beforeAll(async () => {
    // fail loudly, before anything starts, when the tools are missing
    const exporterBin = findBinary('prometheus-mysqld-exporter', 'mysqld_exporter');
    findBinary('prometheus');
    findBinary('prometheus-alertmanager', 'alertmanager');

    smtp = await startSmtpServer(SMTP_USER, SMTP_PASS);
    tp = await startTestPlatform(backend, {
      env: {
        MCP_ALERT_WEBHOOK_TOKEN: TOKEN,
        MCP_SMTP_URL: `smtp://${encodeURIComponent(SMTP_USER)}:${encodeURIComponent(SMTP_PASS)}@127.0.0.1:${smtp.port}`,
        MCP_NOTIFY_EMAIL_TO: 'oncall@example.com',
      },
    });
    // the relay role, as `serve` runs it by default, at its configured pace (MCP_NOTIFY_RELAY_INTERVAL_MS)
    const { delivery, escalation } = createAlerting(tp.platform);
    relay = await startRelayRole({ bus: tp.platform.bus, delivery, escalation, log: tp.platform.log, intervalMs: tp.config.notify.relayIntervalMs });
    await tp.app.listen({ host: '127.0.0.1', port: 0 });
    const appPort = (tp.app.server.address() as AddressInfo).port;
    admin = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;

    const m = hostPort(`${SERVICES.mysql}/x`);
    monitoredDb = await startTcpProxy(m.host, m.port);
    const exporterPort = await freePort();
    // mysqld_exporter 0.14 takes its DSN from DATA_SOURCE_NAME (never argv); it reaches MariaDB through the proxy
    exporter = startGroupDaemon('mysqld_exporter', exporterBin, [`--web.listen-address=127.0.0.1:${exporterPort}`], {
      ...process.env,
      DATA_SOURCE_NAME: `root@(127.0.0.1:${monitoredDb.port})/`,
    });

    stack = await startPromStack({
      platformUrl: `http://127.0.0.1:${appPort}`,
      webhookToken: TOKEN,
      ruleGroups: [{ name: '数据库告警', rules: [dbDownRule()] }],
      scrape: [
        { job: 'mcp-platform', targets: [`127.0.0.1:${appPort}`] },
        { job: 'mysql-exporter', targets: [`127.0.0.1:${exporterPort}`] },
      ],
    });
    await until(
      'mysql_up 1 through the proxy',
      () => stack!.query('mysql_up'),
      (r) => r[0]?.value[1] === '1',
      explain,
    );
  }, 60_000);

  afterAll(async () => {
    // each step on its own, so one failing does not leave the others running
    const steps: [string, () => Promise<unknown> | undefined][] = [
      ['prometheus + alertmanager', () => stack?.stop()],
      ['mysqld_exporter', () => exporter?.stop()],
      ['proxy', () => monitoredDb?.close()],
      ['relay', () => relay?.stop()],
      ['platform', () => tp?.close()],
      ['smtp', () => smtp?.close()],
    ];
    const failed: string[] = [];
    for (const [name, step] of steps) {
      try {
        await step();
      } catch (e) {
        failed.push(`${name}: ${(e as Error).message}`);
      }
    }
    if (failed.length) throw new Error(`cleanup failed: ${failed.join('; ')}`);
  }, 30_000);

  it('nothing fires while the database is up', async () => {
    expect(await stack!.promAlerts()).toEqual([]);
    expect(await ourAlerts()).toEqual([]);
    expect(await ourIncidents()).toEqual([]);
  });

  it('the database goes down: the critical alert reaches the platform and opens an incident', async () => {
    monitoredDb!.cut();
    const alerts = await until('the firing alert in GET /api/ops/alerts', ourAlerts, (a) => a.some((x) => x.status === 'firing'), explain);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      name: ALERT,
      severity: 'critical',
      status: 'firing',
      summary: '数据库不可用',
      labels: { alertname: ALERT, severity: 'critical', job: 'mysql-exporter', category: 'database' },
      endsAt: null,
    });
    expect(alerts[0]!.generatorURL).toEqual(expect.stringContaining('/graph?g0.expr='));

    const incidents = await until('an incident in GET /api/ops/incidents', ourIncidents, (i) => i.length > 0, explain);
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({ severity: 'critical', source: expect.any(String), closeProposedAt: null });
    expect(['detected', 'notified']).toContain(incidents[0]!.status);
  });

  it('the e-mail with the Chinese alert name arrives at the SMTP server', async () => {
    const mails = await until(
      'the alert e-mail',
      async () => alertMails(),
      (m) => m.length > 0,
      explain,
      15_000,
    );
    const mail = mails[0]!;
    expect(mail.to).toEqual(['oncall@example.com']);
    expect(mail.from).toBe(SMTP_USER);
    expect(mail.subject).toContain(ALERT);
    expect(mail.subject).toContain('紧急');
    expect(mail.subject).not.toContain('已恢复');
    expect(mail.raw).not.toContain(SMTP_PASS);
    expect(mail.raw).not.toContain(TOKEN);
    // the incident records that the contact was notified
    await until('the incident to be notified', ourIncidents, (i) => i[0]?.status === 'notified', explain, 5_000);
    // Alertmanager flushes the group every second: still one e-mail for the one firing episode
    await new Promise((r) => setTimeout(r, 2_500));
    expect(alertMails()).toHaveLength(1);
  });

  it('the database comes back: the alert resolves and the incident is proposed for closing', async () => {
    await monitoredDb!.restore();
    const alerts = await until('the resolved alert', ourAlerts, (a) => a[0]?.status === 'resolved', explain);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.endsAt).toEqual(expect.stringMatching(/Z$/));
    const incidents = await until('the close proposal', ourIncidents, (i) => i[0]?.closeProposedAt != null, explain);
    expect(incidents).toHaveLength(1);
    expect(incidents[0]!.closeProposedAt).toEqual(expect.stringMatching(/Z$/));
    // proposed, never closed by the alert alone
    expect(incidents[0]!.status).toBe('notified');
    // the contact hears that it is over, once; still one e-mail for the firing episode
    await until(
      'the recovery e-mail',
      async () => alertMails(),
      (m) => m.some((x) => x.subject.includes('已恢复')),
      explain,
      10_000,
    );
    await new Promise((r) => setTimeout(r, 1_500));
    const [firing, recovery, ...more] = alertMails();
    expect(more).toEqual([]);
    expect(firing!.subject).not.toContain('已恢复');
    expect(recovery!.subject).toContain('已恢复');
    expect(recovery!.subject).toContain(ALERT);
  });
});
