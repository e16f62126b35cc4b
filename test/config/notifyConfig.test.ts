import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig, redactedConfigYaml } from '../../src/config/config.js';

describe('MCP_SMTP_URL', () => {
  it('is unset by default (the log channel), accepts smtp:// and smtps://, also from a 0600 file, and is archived without its credentials', () => {
    expect(loadConfig({}).notify.smtpUrl).toBeUndefined();
    expect(loadConfig({ MCP_SMTP_URL: 'smtp://user:pass@mail.example.com:587' }).notify.smtpUrl).toBe('smtp://user:pass@mail.example.com:587');
    expect(loadConfig({ MCP_SMTP_URL: 'smtps://mail.example.com:465' }).notify.smtpUrl).toBe('smtps://mail.example.com:465');
    const dir = mkdtempSync(join(tmpdir(), 'mcp-smtp-url-'));
    try {
      writeFileSync(join(dir, 'smtp'), 'smtps://alerts:S3cret-Smtp@mail.example.com:465\n', { mode: 0o600 });
      const c = loadConfig({ MCP_SMTP_URL_FILE: join(dir, 'smtp') });
      expect(c.notify.smtpUrl).toBe('smtps://alerts:S3cret-Smtp@mail.example.com:465');
      const text = redactedConfigYaml(c);
      expect(text).not.toContain('S3cret-Smtp');
      expect(parse(text).notify.smtpUrl).toBe('smtps://[redacted]@mail.example.com:465');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses another scheme or a URL without a host in one line naming the variable, without the password', () => {
    expect(() => loadConfig({ MCP_SMTP_URL: 'http://user:S3cret@mail.example.com' })).toThrow(
      'MCP_SMTP_URL: must start with smtp: or smtps:, got "http://user:***@mail.example.com"',
    );
    expect(() => loadConfig({ MCP_SMTP_URL: 'smtp://' })).toThrow(/^MCP_SMTP_URL: /);
  });
});

describe('MCP_NOTIFY_EMAIL_TO', () => {
  it('is a comma-separated list of addresses (empty by default), each one validated', () => {
    expect(loadConfig({}).notify.emailTo).toEqual([]);
    expect(loadConfig({ MCP_NOTIFY_EMAIL_TO: ' ops@example.com,oncall@example.cn ,ops@example.com' }).notify.emailTo).toEqual(['ops@example.com', 'oncall@example.cn']);
    expect(() => loadConfig({ MCP_NOTIFY_EMAIL_TO: 'ops@example.com,not-an-address' })).toThrow('MCP_NOTIFY_EMAIL_TO: not an e-mail address: not-an-address');
    expect(() => loadConfig({ MCP_NOTIFY_EMAIL_TO: 'Ops <ops@example.com>' })).toThrow(/^MCP_NOTIFY_EMAIL_TO: not an e-mail address/);
  });
});
