import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlatform, type Platform } from '../../src/app/platform.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogging, loggingConfigFrom } from '../../src/observability/logging.js';
import { runCli } from '../support/cli.js';
import { freePort, startSmtpServer } from '../support/smtpServer.js';

/** `notify test --channel email|log` with the built CLI (`npm run build` first) against a real SMTP server. */
describe('CLI: notify test', () => {
  let dir: string;
  let env: Record<string, string>;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mcp-cli-notify-'));
    smtp = await startSmtpServer('alerts', 'Cli-Smtp-Pass!7');
    env = {
      MCP_DATA_DIR: join(dir, 'data'),
      MCP_LOG_DIR: join(dir, 'logs'),
      MCP_LOG_LEVEL: 'warn',
      MCP_ADMIN_PASSWORD: 'Cli-Notify-Pass!1',
      MCP_SMTP_URL: `smtp://alerts:Cli-Smtp-Pass!7@127.0.0.1:${smtp.port}`,
      MCP_NOTIFY_EMAIL_TO: 'ops@example.com',
    };
  });
  afterAll(async () => {
    await smtp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const auditRows = async () => {
    const config = loadConfig({ ...env, MCP_ENV: 'test' });
    const platform: Platform = createPlatform(config, { logging: createLogging(loggingConfigFrom(config, false)) });
    try {
      return await platform.database.db.selectFrom('audit_log').select(['actor', 'result', 'details']).where('action', '=', 'ops.notify.test').orderBy('seq').execute();
    } finally {
      await platform.close();
    }
  };

  it('sends the Chinese test e-mail and says so in Chinese, English and JSON', async () => {
    const zh = await runCli(['notify', 'test', '--channel', 'email'], env);
    expect(zh.code, zh.stderr).toBe(0);
    expect(zh.stdout).toBe('测试通知已通过 email 发送给 ops@example.com\n');
    expect(smtp.mails.at(-1)).toMatchObject({ to: ['ops@example.com'], subject: 'mcp-platform 测试通知' });
    expect(smtp.mails.at(-1)!.text).toContain('这是一条来自 mcp-platform 的测试通知');

    const en = await runCli(['--lang', 'en', 'notify', 'test', '--channel', 'email'], env);
    expect(en.stdout).toBe('test notification sent by email to ops@example.com\n');
    expect(smtp.mails.at(-1)!.subject).toBe('mcp-platform test notification');

    const json = await runCli(['--json', 'notify', 'test', '--channel', 'email'], env);
    expect(JSON.parse(json.stdout)).toMatchObject({ channel: 'email', to: ['ops@example.com'], subject: 'mcp-platform 测试通知' });
    expect(smtp.mails).toHaveLength(3);
    const rows = await auditRows();
    expect(rows.filter((r) => r.result === 'success' && JSON.parse(r.details ?? '{}').phase === 'finished')).toHaveLength(3);
    expect(rows[0]!.actor).toMatch(/^cli:/);
  });

  it('exits 1 with one line when the password is wrong or the server is down, audited as failure, never showing the password', async () => {
    const wrong = await runCli(['--lang', 'en', 'notify', 'test', '--channel', 'email'], { ...env, MCP_SMTP_URL: `smtp://alerts:Bad-Pass!9@127.0.0.1:${smtp.port}` });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe(`error: SMTP server 127.0.0.1:${smtp.port}: authentication refused (check the user and password in MCP_SMTP_URL)\n`);
    const port = await freePort();
    const down = await runCli(['notify', 'test', '--channel', 'email'], { ...env, MCP_SMTP_URL: `smtp://alerts:Bad-Pass!9@127.0.0.1:${port}` });
    expect(down.code).toBe(1);
    expect(down.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(down.stderr).toContain(`SMTP server 127.0.0.1:${port}: cannot connect`);
    expect(wrong.stderr + down.stderr + wrong.stdout + down.stdout).not.toContain('Bad-Pass');
    const failures = (await auditRows()).filter((r) => r.result === 'failure');
    expect(failures).toHaveLength(2);
    expect(JSON.parse(failures[0]!.details ?? '{}').error).toContain('authentication refused');
  });

  it('the log channel writes one line to the CLI log (stderr); no recipient or a bad channel is a one-line error', async () => {
    const ok = await runCli(['--lang', 'en', 'notify', 'test', '--channel', 'log'], { ...env, MCP_SMTP_URL: '' });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toBe('test notification sent by log to ops@example.com\n');
    const lines = ok.stderr.split('\n').filter((l) => l.includes('notification: mcp-platform test notification'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('ops@example.com');

    // the log channel needs no recipient; e-mail does
    const logOnly = await runCli(['--lang', 'en', 'notify', 'test', '--channel', 'log'], { ...env, MCP_NOTIFY_EMAIL_TO: '' });
    expect(logOnly.code, logOnly.stderr).toBe(0);
    expect(logOnly.stdout).toBe('test notification sent by log to the app log\n');
    const none = await runCli(['--lang', 'en', 'notify', 'test', '--channel', 'email'], { ...env, MCP_NOTIFY_EMAIL_TO: '' });
    expect(none.code).toBe(1);
    expect(none.stderr).toBe('error: no recipient is configured: set MCP_NOTIFY_EMAIL_TO (ops@example.com,oncall@example.com)\n');
    const noSmtp = await runCli(['--lang', 'en', 'notify', 'test', '--channel', 'email'], { ...env, MCP_SMTP_URL: '' });
    expect(noSmtp.code).toBe(1);
    expect(noSmtp.stderr).toBe('error: the e-mail channel is not configured: set MCP_SMTP_URL (smtp://user:pass@host:587)\n');
    const bad = await runCli(['notify', 'test', '--channel', 'sms'], env);
    expect(bad.code).not.toBe(0);
  });
});
