import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveBinlogs } from '../../src/ops/backup/binlogArchive.js';
import { listBackups, restorableWindow } from '../../src/ops/backup/catalog.js';
import { createBackupContext } from '../../src/app/backupContext.js';
import type { BackupOpsContext } from '../../src/ops/backup/context.js';
import { backupDatabase } from '../../src/ops/backup/databaseBackup.js';
import { backupKeyFrom } from '../../src/ops/backup/archive.js';
import { verifyBackup } from '../../src/ops/backup/verify.js';
import { restoreBackup } from '../../src/ops/restore/restore.js';
import { startMariadb, type MariadbServer } from '../support/mariadbServer.js';
import { startS3Server, type S3TestServer } from '../support/s3Server.js';
import { startTcpProxy, type TcpProxy } from '../support/tcpProxy.js';
import { ADMIN_PASSWORD, startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

/**
 * The backup engine on its own MariaDB (binlog + GTID) and a real S3-compatible server: full
 * backups with coordinates, verification by scratch restore, restore elsewhere and in place, binlog
 * archives and point-in-time recovery to the second, and an S3 outage that loses nothing.
 */
describe('backup and restore on MariaDB with S3', () => {
  let db: MariadbServer;
  let s3: S3TestServer;
  let s3proxy: TcpProxy;
  let tp: TestPlatform;
  let ctx: BackupOpsContext;

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const utcSecond = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000);

  beforeAll(async () => {
    [db, s3] = await Promise.all([startMariadb(), startS3Server()]);
    const endpoint = new URL(s3.endpoint);
    s3proxy = await startTcpProxy(endpoint.hostname, Number(endpoint.port));
    tp = await startTestPlatform('embedded', {
      env: {
        MCP_DB_URL: db.url('mcp_platform'),
        MCP_BACKUP_KEY: 'mariadb-backup-secret-0123456789-abcdef',
        MCP_BACKUP_S3_BUCKET: s3.bucket,
        MCP_BACKUP_S3_ENDPOINT: `http://127.0.0.1:${s3proxy.port}`,
        MCP_BACKUP_S3_ACCESS_KEY_ID: s3.accessKeyId,
        MCP_BACKUP_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
        MCP_BACKUP_S3_FORCE_PATH_STYLE: 'true',
      },
    });
    ctx = createBackupContext(tp.platform);
    await db.query('CREATE TABLE mcp_platform.orders (id INT PRIMARY KEY, note VARCHAR(50)) ENGINE=InnoDB');
    await db.query("INSERT INTO mcp_platform.orders VALUES (1, 't0')");
  }, 120_000);
  afterAll(async () => {
    await tp?.close();
    await s3proxy?.close();
    await s3?.stop();
    await db?.destroy();
  });

  it('full backup records binlog coordinates and GTID, and lands in local storage and S3', async () => {
    const row = await backupDatabase(ctx, { type: 'full' });
    expect(row.status).toBe('complete');
    expect(row.locations).toBe('local,s3');
    expect(row.binlog_file).toMatch(/^mysql-bin\.\d{6}$/);
    expect(row.binlog_pos).toBeGreaterThan(0);
    expect(row.gtid).toMatch(/^\d+-\d+-\d+/);
    const manifest = JSON.parse(row.manifest!);
    expect(manifest.tables.map((t: { name: string }) => t.name)).toEqual(expect.arrayContaining(['users', 'orders', 'audit_log']));
    expect(Object.keys(manifest.tools).join(' ')).toMatch(/mariadb-dump|mysqldump/);
    expect((await ctx.remote!.list('full/')).map((o) => o.key)).toEqual([row.data_key, row.data_key.replace(/data[^/]+$/, 'manifest.json')]);
  });

  it('verify restores into a scratch database, checks it and drops it', async () => {
    const report = await verifyBackup(ctx, 'latest');
    expect(report.ok, JSON.stringify(report.checks)).toBe(true);
    const dbs = (await db.query<{ Database: string }>('SHOW DATABASES')).map((r) => r.Database);
    expect(dbs.filter((d) => d.startsWith('mcp_verify_'))).toEqual([]);
  });

  it('a wrong key is refused before any database is touched', async () => {
    const before = (await db.query<{ Database: string }>('SHOW DATABASES')).length;
    await expect(verifyBackup({ ...ctx, key: backupKeyFrom('not-the-right-backup-secret-00000000') }, 'latest')).rejects.toThrow(/MCP_BACKUP_KEY/);
    await expect(restoreBackup({ ...ctx, key: backupKeyFrom('not-the-right-backup-secret-00000000') }, { ref: 'latest', targetDb: 'mcp_restore_other' })).rejects.toThrow(
      /MCP_BACKUP_KEY/,
    );
    expect((await db.query<{ Database: string }>('SHOW DATABASES')).length).toBe(before);
  });

  it('point in time: rows at t1, t2, t3 — restoring to between t2 and t3 gives exactly t1 and t2', async () => {
    await db.query("INSERT INTO mcp_platform.orders VALUES (2, 't1')");
    await sleep(1100);
    await db.query("INSERT INTO mcp_platform.orders VALUES (3, 't2')");
    await sleep(1100);
    const between = utcSecond(new Date());
    await sleep(1100);
    await db.query("INSERT INTO mcp_platform.orders VALUES (4, 't3')");
    await db.query('DROP TABLE mcp_platform.orders'); // the mistake
    const archived = await archiveBinlogs(ctx);
    expect(archived.length).toBeGreaterThan(0);
    expect(archived.every((r) => r.locations === 'local,s3')).toBe(true);
    const window = restorableWindow(await listBackups(ctx));
    expect(window?.pointInTime).toBe(true);
    expect(new Date(`${window!.to.replace(' ', 'T')}Z`).getTime()).toBeGreaterThan(between.getTime());
    const report = await restoreBackup(ctx, { ref: 'latest', to: between, targetDb: 'mcp_restore_pitr' });
    expect(report.binlogsApplied.length).toBeGreaterThan(0);
    expect(new Date(report.restoredTo).getTime()).toBeLessThanOrEqual(between.getTime());
    const rows = await db.query<{ id: number; note: string }>('SELECT id, note FROM mcp_restore_pitr.orders ORDER BY id');
    expect(rows).toEqual([
      { id: 1, note: 't0' },
      { id: 2, note: 't1' },
      { id: 3, note: 't2' },
    ]);
    // a time past the archived binlogs is refused with the newest archived time
    await expect(restoreBackup(ctx, { ref: 'latest', to: new Date(Date.now() + 3_600_000), targetDb: 'mcp_restore_pitr2' })).rejects.toThrow(/archived only up to/);
  });

  it('an archived binlog is never written again: a catalog that forgot it (a live restore rewinds it) gets its rows back from the manifests', async () => {
    const archived = (await listBackups(ctx)).filter((r) => r.type === 'incremental' && r.status === 'complete');
    expect(archived.length).toBeGreaterThan(0);
    const digestOf = async (key: string) => {
      const hash = createHash('sha256');
      for await (const chunk of await ctx.local.get(key)) hash.update(chunk as Buffer);
      return hash.digest('hex');
    };
    const stored = await Promise.all(archived.map((r) => digestOf(r.data_key)));
    expect(stored).toEqual(archived.map((r) => r.sha256)); // the catalog's checksum is that of the stored bytes
    await tp.platform.database.db
      .deleteFrom('backups')
      .where(
        'id',
        'in',
        archived.map((r) => r.id),
      )
      .execute();

    await archiveBinlogs(ctx);
    const back = (await listBackups(ctx)).filter((r) => archived.some((a) => a.id === r.id));
    expect(back.map((r) => [r.id, r.status, r.sha256, r.locations])).toEqual(archived.map((r) => [r.id, 'complete', r.sha256, 'local,s3']));
    // the same bytes: a restore reading them with the manifest it already has still finds them intact
    expect(await Promise.all(archived.map((r) => digestOf(r.data_key)))).toEqual(stored);
  });

  it('two archivers reaching the same new binlog file at once (the stream and `backup incremental`): both succeed, the file is archived once', async () => {
    await db.query('CREATE TABLE IF NOT EXISTS mcp_platform.race (id INT PRIMARY KEY)');
    await db.query('INSERT INTO mcp_platform.race VALUES (1)');
    await db.query('FLUSH BINARY LOGS'); // closes the file holding the insert
    const before = new Set((await listBackups(ctx)).map((r) => r.id));
    const [a, b] = await Promise.all([archiveBinlogs(ctx), archiveBinlogs(ctx)]);
    const fresh = (await listBackups(ctx)).filter((r) => !before.has(r.id));
    expect(fresh.length).toBeGreaterThan(0);
    expect(fresh.every((r) => r.status === 'complete')).toBe(true);
    expect(new Set(fresh.map((r) => r.id)).size).toBe(fresh.length);
    // each new file is reported by at least one of the two calls
    for (const r of fresh) expect([...a, ...b].some((x) => x.id === r.id)).toBe(true);
  });

  it('restore into the live database needs --force; then a safety backup, maintenance mode, and the data of the backup', async () => {
    const token = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
    await expect(restoreBackup(ctx, { ref: 'latest' })).rejects.toMatchObject({ code: 'INVALID' });
    let duringLoad: { ready?: number; write?: number } = {};
    const report = await restoreBackup(ctx, {
      ref: 'latest',
      force: true,
      confirm: 'mcp_platform',
      onStep: async (s) => {
        if (s !== 'load') return;
        const ready = await tp.request({ method: 'GET', url: '/ready' });
        const write = await tp.request({ method: 'POST', url: '/api/users', token, body: { username: 'during', email: 'during@example.com', password: 'Str0ng-Pass!' } });
        duringLoad = { ready: ready.status, write: write.status };
      },
    });
    expect(duringLoad).toEqual({ ready: 503, write: 503 });
    expect(report.safetyBackup).toBeDefined();
    // the orders table dropped by mistake is back as it was at the full backup
    expect(await db.query('SELECT id, note FROM mcp_platform.orders')).toEqual([{ id: 1, note: 't0' }]);
    expect((await tp.request({ method: 'GET', url: '/ready' })).status).toBe(200);
  });

  it('S3 down: the backup is kept locally, and the next backup uploads it', async () => {
    s3proxy.cut();
    const offline = await backupDatabase(ctx, { type: 'schema' });
    expect(offline.locations).toBe('local');
    await s3proxy.restore();
    const next = await backupDatabase(ctx, { type: 'schema' });
    expect(next.locations).toBe('local,s3');
    const all = await listBackups(ctx);
    expect(all.find((r) => r.id === offline.id)?.locations).toBe('local,s3');
    expect(readdirSync(join(tp.config.backupDir, 'schema')).length).toBeGreaterThanOrEqual(2);
  });
});
