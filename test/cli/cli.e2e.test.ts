import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startServe } from '../support/cli.js';

/** The CLI as an operator uses it, on the embedded default. */
describe('mcp-platform CLI (embedded default)', () => {
  let dir: string;
  let env: Record<string, string>;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mcp-cli-'));
    env = { MCP_DATA_DIR: join(dir, 'data'), MCP_LOG_DIR: join(dir, 'logs'), MCP_LOG_LEVEL: 'warn', MCP_PORT: '0', MCP_HOST: '127.0.0.1' };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('migrate creates the schema, then reports nothing to apply', async () => {
    const first = await runCli(['migrate'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('数据库结构已是最新');
    expect(first.stdout).toContain('本次应用：001_foundation, 002_backups, 003_ops_locks');
    const again = await runCli(['migrate', '--json'], env);
    expect(JSON.parse(again.stdout)).toEqual({ applied: [], current: '003_ops_locks' });
    // the generated keys are private to the owner
    for (const f of readdirSync(join(env.MCP_DATA_DIR!, 'secrets'))) expect(statSync(join(env.MCP_DATA_DIR!, 'secrets', f)).mode & 0o077).toBe(0);
  });

  it('first serve creates admin with a one-time password printed once; it works and must be changed', async () => {
    const s = await startServe(env);
    try {
      const m = /一次性密码[^：]*：\s*(\S+)/.exec(s.output());
      expect(m, s.output()).not.toBeNull();
      const password = m![1]!;
      const res = await fetch(`${s.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { passwordChangeRequired: boolean }).passwordChangeRequired).toBe(true);
      const health = await fetch(`${s.url}/health`);
      expect(health.status).toBe(200);
    } finally {
      s.child.kill('SIGTERM');
      expect(await s.exited).toBe(0);
    }
    const second = await startServe(env);
    second.child.kill('SIGTERM');
    await second.exited;
    expect(second.output()).not.toContain('一次性密码');
  });

  it('admin create prints a one-time password; a duplicate is one clear line and exit 1', async () => {
    const ok = await runCli(['admin', 'create', '--username', 'ops1'], env);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/已创建管理员账号 ops1\n一次性密码.*： \S{20}\n/);
    const dup = await runCli(['admin', 'create', '--username', 'ops1'], env);
    expect(dup.code).toBe(1);
    expect(dup.stderr.trim().split('\n')).toHaveLength(1);
    expect(dup.stderr).toContain('already exists');
  });

  it('admin reset-password takes a password from stdin, never from argv', async () => {
    const r = await runCli(['admin', 'reset-password', '--username', 'ops1', '--password-stdin', '--lang', 'en'], env, 'Chosen-Pass!42\n');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('reset the password of ops1');
    expect(r.stdout).not.toContain('Chosen-Pass!42');
    const missing = await runCli(['admin', 'reset-password', '--username', 'nobody', '--password-stdin'], env, 'Chosen-Pass!42\n');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^错误: user "nobody" not found\n$/);
  });

  it('audit verify passes, then reports an edited row with exit 1', async () => {
    const ok = await runCli(['audit', 'verify'], env);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/审计日志哈希链完整：共校验 \d+ 条记录/);
    const db = new SQLite(join(env.MCP_DATA_DIR!, 'mcp_platform.db'));
    db.prepare("update audit_log set result = 'success', actor = 'someone-else' where seq = 2").run();
    db.close();
    const bad = await runCli(['audit', 'verify'], env);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('审计日志哈希链被破坏');
    expect(bad.stdout).toContain('#2 edited');
    const json = await runCli(['audit', 'verify', '--json'], env);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, problems: [{ seq: 2, problem: 'edited' }] });
  });

  it('bad configuration or usage: one line naming the problem, exit 2, nothing created', async () => {
    const fresh = join(dir, 'never');
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['migrate'], { MCP_PORT: 'eighty' }, /MCP_PORT: must be an integer/],
      [['migrate'], { MCP_DB_URL: 'postgres://u:secret@h/db' }, /MCP_DB_URL: must start with sqlite: or mysql:.*u:\*\*\*@h/],
      [['migrate'], { MCP_DB_POOL_SIZE: '0' }, /MCP_DB_POOL_SIZE: must be between 1 and 1000/],
      [['serve', '--only', 'nonsense'], {}, /nonsense/],
      [['no-such-command'], {}, /unknown command/],
    ];
    for (const [args, extra, pattern] of cases) {
      const r = await runCli(args, { ...env, MCP_DATA_DIR: fresh, ...extra });
      expect(r.code, `${args.join(' ')} ${JSON.stringify(extra)}`).toBe(2);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr).not.toContain('secret');
      expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
    }
    expect(() => statSync(fresh)).toThrow();
  });

  it('passwords are stored only as argon2id hashes', async () => {
    const dump = readdirSync(join(env.MCP_DATA_DIR!)).filter((f) => f.endsWith('.db'));
    expect(dump).toEqual(['mcp_platform.db']);
    const text = readFileSync(join(env.MCP_DATA_DIR!, 'mcp_platform.db')).toString('latin1');
    expect(text).not.toContain('Chosen-Pass!42');
    expect(text).toContain('$argon2id$');
  });
});

/** A fresh default set-up (no ./config, no MCP_CONFIG) as the weekly schedule meets it (issue 9 D4). */
describe('backup config on a fresh default set-up', () => {
  const SECRETS = {
    MCP_ADMIN_PASSWORD: 'Admin-Secret-Pass!77',
    MCP_JWT_SECRET: 'jwt-secret-jwt-secret-jwt-secret-0001',
    MCP_AUDIT_KEY: 'audit-key-audit-key-audit-key-00002',
    MCP_BACKUP_KEY: 'backup-key-backup-key-backup-key-0003',
    MCP_METRICS_TOKEN: 'metrics-token-metrics-token-0004',
  };
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'mcp-cli-config-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('succeeds with the effective configuration, redacted, in the archive; no secret in it', async () => {
    const env = { MCP_DATA_DIR: join(dir, 'data'), MCP_LOG_DIR: join(dir, 'logs'), MCP_LOG_LEVEL: 'warn', ...SECRETS };
    const r = await runCli(['backup', 'config', '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    const row = JSON.parse(r.stdout) as { type: string; status: string; data_key: string };
    expect(row).toMatchObject({ type: 'config', status: 'complete' });
    // decrypt and unpack the archive as an operator restoring it would
    const { backupKeyFrom, decryptStream, decompressStage } = await import('../../src/ops/backup/archive.js');
    const { pipeline } = await import('node:stream/promises');
    const { createReadStream, createWriteStream } = await import('node:fs');
    const tarFile = join(dir, 'config.tar');
    await pipeline(createReadStream(join(dir, 'data', 'backups', row.data_key)), decryptStream(backupKeyFrom(SECRETS.MCP_BACKUP_KEY)), decompressStage(), createWriteStream(tarFile));
    const { execFileSync } = await import('node:child_process');
    expect(execFileSync('tar', ['-tf', tarFile], { encoding: 'utf8' }).trim().split('\n')).toEqual(['effective-config.yaml']);
    const yaml = execFileSync('tar', ['-xOf', tarFile, 'effective-config.yaml'], { encoding: 'utf8' });
    expect(yaml).toContain('dbUrl: sqlite:');
    expect(yaml).toContain('adminPassword: "[redacted]"');
    for (const secret of Object.values(SECRETS)) expect(yaml).not.toContain(secret);
  });
});
