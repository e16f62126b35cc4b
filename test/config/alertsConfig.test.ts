import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig, redactedConfigYaml } from '../../src/config/config.js';

describe('MCP_ALERT_WEBHOOK_TOKEN', () => {
  it('is unset by default, read from the environment or a 0600 file, at least 16 characters, and redacted in the config archive', () => {
    expect(loadConfig({}).alerts.webhookToken).toBeUndefined();
    expect(loadConfig({ MCP_ALERT_WEBHOOK_TOKEN: 'webhook-token-0123456' }).alerts.webhookToken).toBe('webhook-token-0123456');
    const dir = mkdtempSync(join(tmpdir(), 'mcp-alert-token-'));
    try {
      writeFileSync(join(dir, 'token'), 'file-webhook-token-abcdef\n', { mode: 0o600 });
      const c = loadConfig({ MCP_ALERT_WEBHOOK_TOKEN_FILE: join(dir, 'token') });
      expect(c.alerts.webhookToken).toBe('file-webhook-token-abcdef');
      const text = redactedConfigYaml(c);
      expect(text).not.toContain('file-webhook-token-abcdef');
      expect(parse(text).alerts.webhookToken).toBe('[redacted]');
      writeFileSync(join(dir, 'open'), 'file-webhook-token-abcdef\n', { mode: 0o644 });
      expect(() => loadConfig({ MCP_ALERT_WEBHOOK_TOKEN_FILE: join(dir, 'open') })).toThrow(/MCP_ALERT_WEBHOOK_TOKEN_FILE.*chmod 600/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(() => loadConfig({ MCP_ALERT_WEBHOOK_TOKEN: 'short' })).toThrow(/MCP_ALERT_WEBHOOK_TOKEN: must be at least 16/);
  });
});
