import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli, startServe } from '../support/cli.js';

/** The CLI as an operator uses it, on the embedded default. */
describe('mcp-platform CLI (embedded default)', () => {
  let dir: string;
  let env: Record<string, string>;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mcp-cli-'));
    env = { MCP_DATA_DIR: join(dir, 'data'), MCP_LOG_DIR: join(dir, 'logs'), MCP_LOG_LEVEL: 'warn', MCP_PORT: '0', MCP_HOST: '127.0.0.1' };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('migrate creates the schema and says what it applied, then reports nothing to apply', async () => {
    const first = await runCli(['migrate'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^已应用迁移：001_foundation, 002_backups, 003_ops_locks.*（当前版本：\S+）\n$/);
    expect(first.stdout).not.toContain('已是最新');
    const current = /当前版本：(\S+)）/.exec(first.stdout)![1];
    const again = await runCli(['migrate', '--json'], env);
    expect(JSON.parse(again.stdout)).toEqual({ applied: [], current });
    const en = await runCli(['migrate', '--lang', 'en'], env);
    expect(en.stdout).toBe(`schema already up to date, nothing to apply (current: ${current})\n`);
    // the generated keys are private to the owner
    for (const f of readdirSync(join(env.MCP_DATA_DIR!, 'secrets'))) expect(statSync(join(env.MCP_DATA_DIR!, 'secrets', f)).mode & 0o077).toBe(0);
  });

  it('first serve creates admin with a one-time password printed once; it works and must be changed', async () => {
    const s = await startServe(env);
    try {
      const m = /一次性密码[^：]*：\s*(\S+)/.exec(s.output());
      expect(m, s.output()).not.toBeNull();
      const password = m![1]!;
      const res = await fetch(`${s.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password }),
      });
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
    expect(dup.stderr).toBe('错误: 用户 "ops1" 已存在；请使用 admin reset-password\n');
  });

  it('admin reset-password takes a password from stdin, never from argv', async () => {
    const r = await runCli(['admin', 'reset-password', '--username', 'ops1', '--password-stdin', '--lang', 'en'], env, 'Chosen-Pass!42\n');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('reset the password of ops1');
    expect(r.stdout).not.toContain('Chosen-Pass!42');
    const missing = await runCli(['admin', 'reset-password', '--username', 'nobody', '--password-stdin'], env, 'Chosen-Pass!42\n');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^错误: 用户 nobody 不存在\n$/);
    const missingEn = await runCli(['admin', 'reset-password', '--username', 'nobody', '--password-stdin', '--lang', 'en'], env, 'Chosen-Pass!42\n');
    expect(missingEn.stderr).toMatch(/^error: user "nobody" not found\n$/);
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
    expect(bad.stdout).toContain('#2 记录被修改（与其哈希不符）'); // the problem in the run's language
    const badEn = await runCli(['audit', 'verify', '--lang', 'en'], env);
    expect(badEn.stdout).toContain('#2 edited: row 2 does not match its hash (edited)');
    const json = await runCli(['audit', 'verify', '--json'], env);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, problems: [{ seq: 2, problem: 'edited' }] });
  });

  it('bad configuration or usage: one line naming the problem, exit 2, nothing created', async () => {
    const fresh = join(dir, 'never');
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['migrate'], { MCP_PORT: 'eighty' }, /^错误: 配置错误: MCP_PORT: 必须是整数，实际为 "eighty"$/],
      [['migrate'], { MCP_PORT: 'eighty', MCP_LANG: 'en' }, /^error: configuration error: MCP_PORT: must be an integer, got "eighty"$/],
      [['migrate'], { MCP_DB_URL: 'postgres://u:secret@h/db' }, /MCP_DB_URL: 必须以 sqlite: or mysql: 开头.*u:\*\*\*@h/],
      [['migrate', '--lang', 'en'], { MCP_DB_URL: 'postgres://u:secret@h/db' }, /MCP_DB_URL: must start with sqlite: or mysql:.*u:\*\*\*@h/],
      [['migrate'], { MCP_DB_POOL_SIZE: '0' }, /MCP_DB_POOL_SIZE: 必须在 1 到 1000 之间/],
      [['serve', '--only', 'nonsense'], {}, /^错误: 选项 '--only <module>' 的取值 'nonsense' 无效/],
      [['--lang', 'en', 'serve', '--only', 'nonsense'], {}, /^error: option '--only <module>' argument 'nonsense' is invalid/],
      [['no-such-command'], {}, /^错误: 未知命令 'no-such-command'$/],
      [['no-such-command'], { MCP_LANG: 'en' }, /^error: unknown command 'no-such-command'$/],
    ];
    for (const [args, extra, pattern] of cases) {
      const r = await runCli(args, { ...env, MCP_DATA_DIR: fresh, ...extra });
      expect(r.code, `${args.join(' ')} ${JSON.stringify(extra)}`).toBe(2);
      expect(r.stderr.trim()).toMatch(pattern);
      expect(r.stderr).not.toContain('secret');
      expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
    }
    expect(() => statSync(fresh)).toThrow();
  });

  it('backup verify: its check lines speak the run’s language; --json keeps English keys', async () => {
    expect((await runCli(['backup', 'full'], env)).code).toBe(0);
    const zh = await runCli(['backup', 'verify', 'latest'], env);
    expect(zh.code, zh.stdout + zh.stderr).toBe(0);
    expect(zh.stdout).toMatch(/^备份 \S+ 验证通过/);
    expect(zh.stdout).toMatch(/✓ checksum: SHA-256 \S+ 与清单一致/);
    expect(zh.stdout).toMatch(/✓ decrypt: 密钥 \S+，每个数据块均通过认证/);
    expect(zh.stdout).not.toMatch(/matches the manifest|authenticated|tables restored/);
    const en = await runCli(['backup', 'verify', 'latest', '--lang', 'en'], env);
    expect(en.stdout).toMatch(/^backup \S+ verified/);
    expect(en.stdout).toMatch(/✓ checksum: SHA-256 \S+ matches the manifest/);
    expect(en.stdout).not.toMatch(/[\u4e00-\u9fff]/);
    const json = JSON.parse((await runCli(['backup', 'verify', 'latest', '--json'], env)).stdout);
    expect(json).toMatchObject({
      ok: true,
      checks: expect.arrayContaining([expect.objectContaining({ name: 'checksum', ok: true, detail: expect.stringContaining('matches the manifest') })]),
    });
  });

  it('backup logs and backup config print how long they took', async () => {
    mkdirSync(env.MCP_LOG_DIR!, { recursive: true });
    writeFileSync(join(env.MCP_LOG_DIR!, 'extra.log'), 'a line\n');
    for (const type of ['logs', 'config']) {
      const r = await runCli(['backup', type], env);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^备份完成：\\S+-${type}（原始 .+，存储 .+，用时 \\d+\\.\\d 秒）\\n$`));
    }
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
    const { backupKeyFrom, decryptStream } = await import('../../src/ops/backup/archive.js');
    const { decompressStage } = await import('../../src/ops/backup/zstd.js');
    const { pipeline } = await import('node:stream/promises');
    const { createReadStream, createWriteStream } = await import('node:fs');
    const tarFile = join(dir, 'config.tar');
    await pipeline(
      createReadStream(join(dir, 'data', 'backups', row.data_key)),
      decryptStream(backupKeyFrom(SECRETS.MCP_BACKUP_KEY)),
      decompressStage(),
      createWriteStream(tarFile),
    );
    const { execFileSync } = await import('node:child_process');
    expect(execFileSync('tar', ['-tf', tarFile], { encoding: 'utf8' }).trim().split('\n')).toEqual(['effective-config.yaml']);
    const yaml = execFileSync('tar', ['-xOf', tarFile, 'effective-config.yaml'], { encoding: 'utf8' });
    expect(yaml).toContain('dbUrl: sqlite:');
    expect(yaml).toContain('adminPassword: "[redacted]"');
    for (const secret of Object.values(SECRETS)) expect(yaml).not.toContain(secret);
  });
});

describe('the built CLI as a program', () => {
  it('runs by itself (shebang, executable) and prints its version, as npx mcp-platform does', async () => {
    const { execFileSync } = await import('node:child_process');
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(readFileSync(CLI, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    expect(execFileSync(CLI, ['--version'], { encoding: 'utf8' })).toBe(`${version}\n`);
  });

  it('help follows the language: zh-CN by default, English with --lang en or MCP_LANG=en', async () => {
    const zh = await runCli(['--help'], {});
    expect(zh.code).toBe(0);
    expect(zh.stdout).toContain('用法：');
    expect(zh.stdout).toContain('创建或升级数据库结构');
    expect(zh.stdout).toContain('显示帮助');
    expect(zh.stdout).not.toMatch(/Usage:|Options:|Commands:|database schema|display help/);
    const sub = await runCli(['restore', '--help'], {});
    expect(sub.stdout).toContain('时间点 "YYYY-MM-DD HH:mm:ss"（UTC）');
    expect(sub.stdout).not.toMatch(/point in time|Options:/);
    for (const [args, env] of [
      [['--lang', 'en', '--help'], {}],
      [['--help'], { MCP_LANG: 'en' }],
    ] as const) {
      const en = await runCli([...args], { ...env });
      expect(en.stdout).toContain('Usage: mcp-platform');
      expect(en.stdout).toContain('create or upgrade the database schema');
      expect(en.stdout).not.toMatch(/[\u4e00-\u9fff]/);
    }
    const backupHelpEn = await runCli(['backup', 'full', '--help', '--lang=en'], {});
    expect(backupHelpEn.stdout).toContain('full backup of the platform database now');
  });

  it('the final "stopped" line of serve reaches app.log', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-cli-stop-'));
    try {
      const env = {
        MCP_DATA_DIR: join(dir, 'data'),
        MCP_LOG_DIR: join(dir, 'logs'),
        MCP_LOG_LEVEL: 'info',
        MCP_LOG_CONSOLE: 'off',
        MCP_PORT: '0',
        MCP_HOST: '127.0.0.1',
        MCP_ADMIN_PASSWORD: 'Stop-Test-Pass!1',
      };
      const s = await startServe(env);
      s.child.kill('SIGTERM');
      expect(await s.exited).toBe(0);
      expect(readFileSync(join(dir, 'logs', 'app.log'), 'utf8')).toMatch(/\| INFO +\| [\w.]+:[^ ]+:\d+ - stopped\n$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
