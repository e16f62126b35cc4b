import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../support/cli.js';
import { startMariadb, type MariadbServer } from '../support/mariadbServer.js';

const walk = (dir: string): string[] =>
  existsSync(dir) ? readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)])) : [];

describe('backup commands on the embedded default', () => {
  let dir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mcp-cli-backup-'));
    env = { MCP_DATA_DIR: join(dir, 'data'), MCP_LOG_DIR: join(dir, 'logs'), MCP_LOG_LEVEL: 'warn', MCP_ADMIN_PASSWORD: 'Cli-Backup-Pass!1' };
    expect((await runCli(['admin', 'create', '--username', 'ops1'], env)).code).toBe(0);
    mkdirSync(env.MCP_LOG_DIR!, { recursive: true });
    writeFileSync(join(env.MCP_LOG_DIR!, 'app.log'), '2026-11-26 02:00:00 | INFO     | app:-:0 - started\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('backup full, list with the restorable window, verify latest, prune --dry-run', async () => {
    const full = await runCli(['backup', 'full'], env);
    expect(full.code, full.stderr).toBe(0);
    expect(full.stdout).toMatch(/^备份完成：\d{8}T\d{9}Z-full（原始 [\d.]+ \w+，存储 [\d.]+ \w+，用时 [\d.]+ 秒）/);
    const list = await runCli(['backup', 'list'], env);
    expect(list.stdout).toMatch(/-full\s+full\s+complete/);
    expect(list.stdout).toContain('可恢复时间窗口');
    const json = JSON.parse((await runCli(['backup', 'list', '--json'], env)).stdout);
    expect(json.backups[0]).toMatchObject({ type: 'full', status: 'complete', locations: 'local' });
    expect(json.restorableWindow).toMatchObject({ pointInTime: false });
    const verify = await runCli(['backup', 'verify', 'latest'], env);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/验证通过/);
    expect(verify.stdout).toMatch(/✓ rows:users/);
    const prune = await runCli(['backup', 'prune', '--dry-run'], env);
    expect(prune.code).toBe(0);
    expect(prune.stdout).toMatch(/^\[dry-run\] 删除 0 个，保留 1 个/);
  });

  it('binlog features and point-in-time say clearly they need MySQL/MariaDB; the live DB needs --force', async () => {
    const inc = await runCli(['backup', 'incremental'], env);
    expect(inc.code).toBe(1);
    expect(inc.stderr).toMatch(/MySQL\/MariaDB/);
    const pitr = await runCli(['restore', 'latest', '--to', '2026-11-26 01:00:00'], env);
    expect(pitr.code).toBe(1);
    expect(pitr.stderr).toMatch(/point-in-time/);
    const live = await runCli(['restore', 'latest'], env);
    expect(live.code).toBe(1);
    expect(live.stderr).toMatch(/--force/);
    expect(live.stderr.trim().split('\n')).toHaveLength(1); // one line: refused before a job is started
    const badTime = await runCli(['restore', 'latest', '--to', 'yesterday'], env);
    expect(badTime.code).toBe(2);
    const logs = await runCli(['backup', 'logs'], env);
    expect(logs.code, logs.stderr).toBe(0);
    const config = await runCli(['backup', 'config'], { ...env, MCP_BACKUP_CONFIG_PATHS: join(dir, 'no-such-dir') });
    expect(config.code, config.stderr).toBe(0); // the redacted effective configuration is always archived
  });
});

describe('a backup killed half-way', () => {
  let db: MariadbServer;
  let dir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    db = await startMariadb();
    dir = mkdtempSync(join(tmpdir(), 'mcp-cli-kill-'));
    env = { MCP_DB_URL: db.url('mcp_platform'), MCP_DATA_DIR: join(dir, 'data'), MCP_LOG_DIR: join(dir, 'logs'), MCP_LOG_LEVEL: 'warn', MCP_ADMIN_PASSWORD: 'Cli-Backup-Pass!1' };
    expect((await runCli(['migrate'], env)).code).toBe(0);
    // ~130 MB of poorly compressible rows so the dump takes a while
    await db.query('CREATE TABLE mcp_platform.bulk (id INT AUTO_INCREMENT PRIMARY KEY, payload VARCHAR(2000)) ENGINE=InnoDB');
    await db.query('INSERT INTO mcp_platform.bulk (payload) VALUES (REPEAT(MD5(RAND()), 60))');
    for (let i = 0; i < 16; i++) await db.query('INSERT INTO mcp_platform.bulk (payload) SELECT CONCAT(MD5(RAND()), SUBSTRING(payload, 33)) FROM mcp_platform.bulk');
  }, 120_000);
  afterAll(async () => {
    await db?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('SIGKILL leaves no artefact marked good; the next run marks the orphan failed and succeeds', async () => {
    const child = spawn(process.execPath, [CLI, 'backup', 'full'], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'ignore' });
    const backups = join(dir, 'data', 'backups');
    const until = Date.now() + 20_000;
    while (!walk(backups).some((f) => f.includes('.partial-')) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    const during = JSON.parse((await runCli(['backup', 'list', '--json'], env)).stdout).backups;
    expect(during).toHaveLength(1);
    expect(during[0].status).toBe('running'); // never 'complete'
    expect(walk(backups).filter((f) => f.endsWith('manifest.json'))).toEqual([]);

    const next = await runCli(['backup', 'full', '--json'], env, undefined, 120_000);
    expect(next.code, next.stderr).toBe(0);
    const after = JSON.parse((await runCli(['backup', 'list', '--json'], env)).stdout).backups;
    expect(after.map((r: { status: string }) => r.status)).toEqual(['failed', 'complete']);
    expect(after[0].error).toMatch(/interrupted/);
    expect(walk(backups).filter((f) => f.endsWith('manifest.json'))).toHaveLength(1);
  }, 180_000);

  it('disk full: one clear error, nothing marked good, nothing half-written left', async () => {
    const full = join(dir, 'tiny');
    mkdirSync(full);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', full]);
    try {
      const r = await runCli(['backup', 'full'], { ...env, MCP_BACKUP_DIR: full }, undefined, 120_000);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr).toMatch(/disk full/);
      const rows = JSON.parse((await runCli(['backup', 'list', '--json'], { ...env, MCP_BACKUP_DIR: full })).stdout).backups as { status: string }[];
      expect(rows.at(-1)?.status).toBe('failed');
      expect(walk(full)).toEqual([]);
    } finally {
      execFileSync('umount', [full]);
    }
  }, 180_000);
});
