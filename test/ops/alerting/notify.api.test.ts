import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startSmtpServer } from '../../support/smtpServer.js';
import { ADMIN_PASSWORD, BACKENDS, startTestPlatform, type TestPlatform } from '../../support/testPlatform.js';

/** POST /api/ops/notify/test against a real SMTP server (smtp-server with authentication), on both backends. */
describe.each(BACKENDS)('notification test API on %s backend', (backend) => {
  let tp: TestPlatform;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let admin: string;
  let goodUrl: string;

  beforeAll(async () => {
    smtp = await startSmtpServer('alerts@example.com', 'Smtp-Pass!42');
    goodUrl = `smtp://alerts%40example.com:Smtp-Pass!42@127.0.0.1:${smtp.port}`;
    tp = await startTestPlatform(backend, {
      env: { MCP_SMTP_URL: goodUrl, MCP_NOTIFY_EMAIL_TO: 'ops@example.com, oncall@example.com', MCP_LOG_LEVEL: 'info' },
    });
    admin = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
  });
  afterAll(async () => {
    await tp?.close();
    await smtp?.close();
  });

  const auditRows = async () =>
    (await tp.platform.database.db.selectFrom('audit_log').select(['actor', 'result', 'target', 'details']).where('action', '=', 'ops.notify.test').orderBy('seq').execute()).map(
      (r) => ({ ...r, details: JSON.parse(r.details ?? '{}') }),
    );

  it('sends a Chinese test e-mail through the SMTP server to every recipient, audited as success', async () => {
    const res = await tp.request({ method: 'POST', url: '/api/ops/notify/test', token: admin, body: { channel: 'email' } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ channel: 'email', to: ['ops@example.com', 'oncall@example.com'], subject: 'mcp-platform 测试通知' });
    expect(smtp.mails).toHaveLength(1);
    const mail = smtp.mails[0]!;
    expect(mail.from).toBe('alerts@example.com');
    expect(mail.to).toEqual(['ops@example.com', 'oncall@example.com']);
    expect(mail.subject).toBe('mcp-platform 测试通知');
    expect(mail.text).toContain('这是一条来自 mcp-platform 的测试通知（渠道：email，发起人：admin）');
    expect(mail.raw).not.toContain('Smtp-Pass!42');
    const rows = await auditRows();
    expect(rows.at(-1)).toMatchObject({ actor: 'admin', result: 'success', target: 'notify:email', details: { phase: 'finished', channel: 'email' } });
  });

  it('sends the English text with lang en', async () => {
    const res = await tp.request({ method: 'POST', url: '/api/ops/notify/test', token: admin, body: { channel: 'email', lang: 'en' } });
    expect(res.status).toBe(200);
    expect(smtp.mails.at(-1)!.subject).toBe('mcp-platform test notification');
    expect(smtp.mails.at(-1)!.text).toContain('This is a test notification from mcp-platform');
  });

  it('a wrong SMTP password is a clear 503, audited as failure with the error, and the password is in no answer or log', async () => {
    const before = smtp.mails.length;
    tp.config.notify.smtpUrl = `smtp://alerts%40example.com:Wrong-Pass!1@127.0.0.1:${smtp.port}`;
    try {
      const res = await tp.request({ method: 'POST', url: '/api/ops/notify/test', token: admin, body: { channel: 'email' } });
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('UNAVAILABLE');
      expect(res.body.error.message).toBe(`SMTP server 127.0.0.1:${smtp.port}: authentication refused (check the user and password in MCP_SMTP_URL)`);
      expect(JSON.stringify(res.body)).not.toContain('Wrong-Pass');
    } finally {
      tp.config.notify.smtpUrl = goodUrl;
    }
    expect(smtp.mails.length).toBe(before);
    const last = (await auditRows()).at(-1)!;
    expect(last).toMatchObject({ result: 'failure', target: 'notify:email', details: { phase: 'finished' } });
    expect(last.details.error).toContain('authentication refused');
  });

  it('an SMTP server that is down is a 503 naming the server, audited as failure', async () => {
    const port = await freePort();
    tp.config.notify.smtpUrl = `smtp://alerts%40example.com:Smtp-Pass!42@127.0.0.1:${port}`;
    try {
      const res = await tp.request({ method: 'POST', url: '/api/ops/notify/test', token: admin, body: { channel: 'email' } });
      expect(res.status).toBe(503);
      expect(res.body.error.message).toMatch(new RegExp(`^SMTP server 127\\.0\\.0\\.1:${port}: cannot connect`));
    } finally {
      tp.config.notify.smtpUrl = goodUrl;
    }
    expect((await auditRows()).at(-1)).toMatchObject({ result: 'failure', details: { phase: 'finished' } });
  });

  it('the log channel writes the message as one line of the app log', async () => {
    const res = await tp.request({ method: 'POST', url: '/api/ops/notify/test', token: admin, body: { channel: 'log' } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ channel: 'log', to: ['ops@example.com', 'oncall@example.com'] });
    await new Promise((r) => setTimeout(r, 300));
    const log = readFileSync(join(tp.config.logDir, 'app.log'), 'utf8');
    expect(log).not.toContain('Smtp-Pass!42');
    expect(log).not.toContain('Wrong-Pass!1');
    const lines = log.split('\n').filter((l) => l.includes('notification: mcp-platform 测试通知'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('ops@example.com');
  });

  it('rejects an unknown channel with 404, a malformed name with 400 and a viewer with 403, sending nothing', async () => {
    const before = smtp.mails.length;
    const unknown = await tp.request({ method: 'POST', url: '/api/ops/notify/test', token: admin, body: { channel: 'sms' } });
    expect(unknown.status).toBe(404);
    const bad = await tp.request({ method: 'POST', url: '/api/ops/notify/test', token: admin, body: { channel: 'SMS!' } });
    expect(bad.status).toBe(400);
    const created = await tp.request({
      method: 'POST',
      url: '/api/users',
      token: admin,
      body: { username: 'notifyviewer', email: 'nv@example.com', password: 'Str0ng-Pass!', roles: ['viewer'] },
    });
    expect(created.status).toBe(201);
    const viewer = (await tp.login('notifyviewer', 'Str0ng-Pass!')).accessToken;
    const res = await tp.request({ method: 'POST', url: '/api/ops/notify/test', token: viewer, body: { channel: 'email' } });
    expect(res.status).toBe(403);
    expect(smtp.mails.length).toBe(before);
  });
});
