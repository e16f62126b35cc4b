import { mkdtempSync as mkdtemp, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogging, type LoggingConfig } from '../../src/observability/logging.js';
import { ADMIN_PASSWORD, startTestPlatform } from '../support/testPlatform.js';

const dirs: string[] = [];
const mkdtempSync = (prefix: string) => {
  const d = mkdtemp(prefix);
  dirs.push(d);
  return d;
};

const MANUAL_LAYOUT = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \| (DEBUG|INFO|WARNING|ERROR|CRITICAL) *\| [\w.-]+:[^:\s]+:\d+ - /;

function config(dir: string, extra: Partial<LoggingConfig> = {}): LoggingConfig {
  return {
    dir,
    level: 'info',
    format: 'text',
    files: true,
    console: 'off',
    maxBytes: { app: 100 * 1024 * 1024, access: 100 * 1024 * 1024, error: 50 * 1024 * 1024, audit: 100 * 1024 * 1024 },
    retentionDays: { app: 30, access: 30, error: 90, audit: 180 },
    ...extra,
  };
}

const read = (dir: string, f: string) => readFileSync(join(dir, f), 'utf8');

describe('categorised logs', () => {
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  it('writes the manual’s layout; ERROR goes to app.log and error.log, INFO only to app.log; DEBUG filtered at INFO', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-logs-'));
    const logging = createLogging(config(dir));
    const log = logging.app.child({ module: 'backup' });
    log.debug('not written at info level');
    log.info({ bytes: 1024 }, '全量备份开始');
    log.error({ err: new Error('disk full') }, '全量备份失败');
    await logging.close();
    const app = read(dir, 'app.log').trimEnd().split('\n');
    expect(app[0]).toMatch(MANUAL_LAYOUT);
    expect(app[0]).toMatch(/\| INFO {5}\| backup:[^:]+:\d+ - 全量备份开始 bytes=1024$/);
    expect(app.join('\n')).not.toContain('not written');
    expect(read(dir, 'app.log')).toContain('| ERROR    | backup:');
    const errors = read(dir, 'error.log');
    expect(errors).toContain('全量备份失败');
    expect(errors).toContain('Error: disk full');
    expect(errors).not.toContain('全量备份开始');
  });

  it('names the calling function and line when no module is given', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-logs-'));
    const logging = createLogging(config(dir));
    function restoreDatabase() {
      logging.app.warn('恢复开始');
    }
    restoreDatabase();
    await logging.close();
    expect(read(dir, 'app.log')).toMatch(/\| WARNING {2}\| test\.observability\.logging\.test:restoreDatabase:\d+ - 恢复开始/);
  });

  it('redacts secrets', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-logs-'));
    const logging = createLogging(config(dir, { format: 'json' }));
    logging.app.info({ password: 'hunter2', user: { password: 'x1', name: 'bob' }, refreshToken: 'r-tok', headers: { authorization: 'Bearer abc' } }, 'login');
    await logging.close();
    const text = read(dir, 'app.log');
    for (const secret of ['hunter2', 'x1', 'r-tok', 'Bearer abc']) expect(text).not.toContain(secret);
    const line = JSON.parse(text.trim());
    expect(line.user).toEqual({ password: '[redacted]', name: 'bob' });
  });

  it('JSON lines on request, one object per line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-logs-'));
    const logging = createLogging(config(dir, { format: 'json' }));
    logging.app.info({ k: 1 }, 'a');
    logging.access({ method: 'GET', url: '/api/users/1', route: '/api/users/:id', status: 200, durationMs: 1.5, ip: '10.0.0.1', requestId: 'r1' });
    await logging.close();
    expect(JSON.parse(read(dir, 'app.log'))).toMatchObject({ msg: 'a', k: 1, level: 30 });
    expect(JSON.parse(read(dir, 'access.log'))).toMatchObject({ category: 'access', route: '/api/users/:id', status: 200 });
  });

  it('rotates by size and prunes rotated files by each category’s retention', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-logs-'));
    const logging = createLogging(config(dir, { maxBytes: { app: 2048, access: 2048, error: 2048, audit: 2048 } }));
    for (let i = 0; i < 60; i++) logging.app.error(`line ${i} ${'x'.repeat(40)}`);
    await logging.close();
    const rotatedApp = readdirSync(dir).filter((f) => /^app-\d{8}-\d{6}-\d{3}\.log$/.test(f));
    const rotatedErr = readdirSync(dir).filter((f) => /^error-\d{8}-\d{6}-\d{3}\.log$/.test(f));
    expect(rotatedApp.length).toBeGreaterThan(1);
    expect(rotatedErr.length).toBeGreaterThan(1);
    // every line is kept somewhere, in order
    const all = [...rotatedApp.sort(), 'app.log'].map((f) => read(dir, f)).join('');
    expect(all.match(/line \d+/g)).toEqual(Array.from({ length: 60 }, (_, i) => `line ${i}`));
    // 40 days old: past app's 30 days, within error's 90
    const old = new Date(Date.now() - 40 * 86_400_000);
    for (const f of [...rotatedApp, ...rotatedErr]) utimesSync(join(dir, f), old, old);
    writeFileSync(join(dir, 'unrelated-20200101-000000-000.log'), 'keep');
    utimesSync(join(dir, 'unrelated-20200101-000000-000.log'), old, old);
    const pruner = createLogging(config(dir, { files: false }));
    expect(pruner.prune()).toBe(rotatedApp.length);
    const left = readdirSync(dir);
    expect(left.filter((f) => f.startsWith('app-'))).toEqual([]);
    expect(left.filter((f) => f.startsWith('error-')).length).toBe(rotatedErr.length);
    expect(left).toContain('app.log');
    expect(left).toContain('unrelated-20200101-000000-000.log');
  });

  it('the running platform writes access and audit lines, never a password', async () => {
    const tp = await startTestPlatform('embedded', { env: { MCP_LOG_LEVEL: 'info' } });
    const dir = tp.config.logDir;
    await tp.request({ method: 'POST', url: '/api/auth/login', body: { username: 'admin', password: 'Wrong-Pass!1' } });
    const s = await tp.login('admin', ADMIN_PASSWORD);
    await tp.request({ method: 'GET', url: '/api/users/1', token: s.accessToken });
    await tp.platform.close();
    const access = read(dir, 'access.log');
    expect(access).toMatch(MANUAL_LAYOUT);
    expect(access).toMatch(/"GET \/api\/users\/1" 200 [\d.]+ms user=admin/);
    expect(access).toMatch(/"POST \/api\/auth\/login" 401/);
    const audit = read(dir, 'audit.log');
    expect(audit).toMatch(/actor=admin action=auth\.login target=user:admin result=failure/);
    expect(audit).toMatch(/action=auth\.login target=user:admin result=success/);
    for (const f of readdirSync(dir)) {
      const text = read(dir, f);
      expect(text).not.toContain(ADMIN_PASSWORD);
      expect(text).not.toContain('Wrong-Pass!1');
      expect(text).not.toContain(s.accessToken);
    }
    await tp.app.close().catch(() => {});
  });

  it.each(['text', 'json'] as const)('a newline in a login username cannot forge an audit.log line (%s layout)', async (format) => {
    const tp = await startTestPlatform('embedded', { env: { MCP_LOG_LEVEL: 'info', MCP_LOG_FORMAT: format } });
    const dir = tp.config.logDir;
    const forged = 'x\n2026-01-01 00:00:00 | info | forged\r\u0085 | y'; // usernames are lower-cased before they are logged
    const res = await tp.request({ method: 'POST', url: '/api/auth/login', body: { username: forged, password: 'Wrong-Pass!1' } });
    expect(res.status).toBe(401);
    await tp.platform.close();
    const lines = read(dir, 'audit.log').trimEnd().split('\n');
    if (format === 'text') {
      for (const l of lines) expect(l).toMatch(MANUAL_LAYOUT);
      expect(lines.some((l) => l.startsWith('2026-01-01 00:00:00 | info | forged'))).toBe(false);
      const line = lines.find((l) => l.includes('action=auth.login'))!;
      expect(line).toContain('actor="x\\n2026-01-01 00:00:00 | info | forged\\r\\u0085 | y" action=auth.login');
      expect(line).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \| INFO {5}\| audit:auth\.login:\d+ - actor="x\\n/); // the username's separators stay inside its quoted value
    } else {
      const records = lines.map((l) => JSON.parse(l));
      expect(records.find((r) => r.action === 'auth.login')).toMatchObject({ actor: forged, target: `user:${forged}`, result: 'failure' });
    }
    await tp.app.close().catch(() => {});
  });

  it('audit lines: no field of a record can start a line or pass for another field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-logs-'));
    const logging = createLogging(config(dir));
    const forged = 'x\n2026-01-01 00:00:00 | INFO     | audit:user.delete:9 - actor=admin';
    logging.audit({
      seq: 7,
      ts: '2026-11-30 01:02:03.000',
      actor: forged,
      action: 'auth.login',
      target: 'user:a result=success',
      ip: '10.0.0.1',
      result: 'failure',
      details: { reason: 'x\u2028y' },
    });
    await logging.close();
    const lines = read(dir, 'audit.log').trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(MANUAL_LAYOUT);
    expect(lines[0]).toContain(' - actor="x\\n2026-01-01 00:00:00 | INFO     | audit:user.delete:9 - actor=admin" action=auth.login target="user:a result=success" result=failure');
    expect(lines[0]).toContain('details={"reason":"x\\u2028y"}');
  });

  it('escapes control characters in every text field of the app and access logs; stack lines are indented', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-logs-'));
    const logging = createLogging(config(dir));
    logging.app.warn({ user: 'a\nb c', 'k\n2026': 1 }, 'msg\n2026-01-01 00:00:00 | ERROR    | x:y:1 - fake');
    logging.app.error({ err: new Error('boom\n2026-01-01 00:00:00 | ERROR    | x:y:1 - fake') }, 'failed');
    logging.access({ method: 'GET', url: '/a\u0085b', route: 'unmatched', status: 404, durationMs: 1, ip: '10.0.0.1', requestId: 'r1 user=admin', userAgent: 'ua\n2026' });
    await logging.close();
    for (const f of ['app.log', 'access.log']) {
      for (const l of read(dir, f).trimEnd().split('\n')) expect(l.startsWith('2026-01-01')).toBe(false);
    }
    const app = read(dir, 'app.log');
    expect(app).toContain('msg\\n2026-01-01 00:00:00 | ERROR    | x:y:1 - fake user="a\\nb c" k\\n2026=1');
    expect(app).toContain('\n    Error: boom\n    2026-01-01 00:00:00 | ERROR');
    const access = read(dir, 'access.log');
    expect(access).toContain('"GET /a\\u0085b"');
    expect(access).toContain('req="r1 user=admin"');
    expect(access).toContain('ua="ua\\n2026"');
  });
});
