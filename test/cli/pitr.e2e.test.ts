import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../support/cli.js';
import { startMariadb, type MariadbServer } from '../support/mariadbServer.js';

/**
 * The operator's story, one command each (issue "Backup and restore engine", done when): take a
 * full backup, write rows while binlogs stream, drop a table by mistake, and restore the live
 * database to the second before the drop; every artefact encrypted, listed and verifiable.
 */
describe('recovering from a dropped table with the CLI', () => {
  let db: MariadbServer;
  let dir: string;
  let env: Record<string, string>;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  beforeAll(async () => {
    db = await startMariadb();
    dir = mkdtempSync(join(tmpdir(), 'mcp-pitr-cli-'));
    env = {
      MCP_DB_URL: db.url('mcp_platform'),
      MCP_DATA_DIR: join(dir, 'data'),
      MCP_LOG_DIR: join(dir, 'logs'),
      MCP_LOG_LEVEL: 'warn',
      MCP_BACKUP_KEY: 'pitr-demo-backup-secret-0123456789abcdef',
    };
    expect((await runCli(['admin', 'create', '--username', 'ops1'], env)).code).toBe(0);
    await db.query('CREATE TABLE mcp_platform.orders (id INT PRIMARY KEY, note VARCHAR(40))');
    await db.query("INSERT INTO mcp_platform.orders VALUES (1, 'before the backup')");
  }, 60_000);
  afterAll(async () => {
    await db?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('full backup, stream, drop by mistake, restore to the second before', async () => {
    const full = await runCli(['backup', 'full'], env);
    expect(full.code, full.stderr).toBe(0);

    const stream = spawn(process.execPath, [CLI, 'backup', 'stream'], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let streamOut = '';
    stream.stdout.on('data', (d: Buffer) => (streamOut += d.toString()));
    stream.stderr.on('data', (d: Buffer) => (streamOut += d.toString()));
    const spool = join(dir, 'data', 'binlog-spool');
    for (let i = 0; i < 100 && !(readdirSync(join(dir, 'data')).includes('binlog-spool') && readdirSync(spool).some((f) => /^mysql-bin\.\d+$/.test(f))); i++) await sleep(100);
    // the stream records its state for the API and the console (GET /api/ops/backups/stream)
    const published = async () => (await db.query<{ holder: string; status: string }>('SELECT holder, status FROM mcp_platform.backup_stream_status'))[0];
    const running = async () => {
      const row = await published();
      return row !== undefined && (JSON.parse(row.status) as { running: boolean }).running;
    };
    for (let i = 0; i < 150 && !(await running()); i++) await sleep(100);
    expect(JSON.parse((await published())!.status)).toMatchObject({ running: true, gaps: [] });

    await db.query("INSERT INTO mcp_platform.orders VALUES (2, 'kept')");
    await sleep(1100);
    const beforeDrop = new Date(Math.floor(Date.now() / 1000) * 1000);
    await sleep(1100);
    await db.query("INSERT INTO mcp_platform.orders VALUES (3, 'after the chosen second')");
    await db.query('DROP TABLE mcp_platform.orders');

    const inc = await runCli(['backup', 'incremental'], env);
    expect(inc.code, inc.stderr).toBe(0);
    const to = beforeDrop.toISOString().slice(0, 19).replace('T', ' ');
    const restore = await runCli(['restore', 'latest', '--to', to, '--force', '--confirm', 'mcp_platform', '--json'], env, undefined, 120_000);
    expect(restore.code, restore.stderr).toBe(0);
    const report = JSON.parse(restore.stdout);
    expect(report).toMatchObject({ live: true, target: 'mcp_platform' });
    expect(report.safetyBackup).toMatch(/-full$/);
    expect(report.binlogsApplied.length).toBeGreaterThan(0);
    expect(await db.query('SELECT id, note FROM mcp_platform.orders ORDER BY id')).toEqual([
      { id: 1, note: 'before the backup' },
      { id: 2, note: 'kept' },
    ]);

    stream.kill('SIGTERM');
    const code = await new Promise((r) => stream.on('exit', r));
    expect(code, streamOut).toBe(0);
    expect(JSON.parse((await published())!.status)).toMatchObject({ running: false });

    const list = JSON.parse((await runCli(['backup', 'list', '--json'], env)).stdout);
    expect(list.backups.every((b: { key_id: string; status: string }) => b.status !== 'complete' || b.key_id.length === 16)).toBe(true);
    expect(list.backups.filter((b: { type: string }) => b.type === 'full')).toHaveLength(2); // the first and the safety backup
    const verify = await runCli(['backup', 'verify', 'latest'], env, undefined, 120_000);
    expect(verify.code, verify.stdout).toBe(0);
  }, 180_000);
});
