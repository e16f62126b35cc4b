import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackupContext } from '../../src/app/backupContext.js';
import { fromDbTime } from '../../src/infra/db/time.js';
import { archiveBinlogs } from '../../src/ops/backup/binlogArchive.js';
import { startBinlogStream, type BinlogStreamer } from '../../src/ops/backup/binlogStream.js';
import { archiveGtids, listBackups, manifestOf, restorableWindow } from '../../src/ops/backup/catalog.js';
import type { BackupOpsContext } from '../../src/ops/backup/context.js';
import { backupDatabase } from '../../src/ops/backup/databaseBackup.js';
import { covers, parseGtidPosition } from '../../src/ops/backup/gtidPosition.js';
import { planPointInTime } from '../../src/ops/restore/pointInTime.js';
import { restoreBackup } from '../../src/ops/restore/restore.js';
import { runCli } from '../support/cli.js';
import type { MariadbServer } from '../support/mariadbServer.js';
import { type ReplicaSet, startReplicaSet } from '../support/replicaSet.js';
import { uniqueName } from '../support/services.js';
import { ADMIN_PASSWORD, startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

/**
 * Issue 12 item 7: backups follow the primary. On a real primary + replica (private mariadbd
 * instances, GTID, log_slave_updates), a planned switchover moves the primary; incremental backups
 * and `backup stream` go on from the new primary, and point-in-time restore joins the two servers'
 * binlogs by GTID — every row back exactly once, before and after the switchover. A GTID range
 * archived nowhere is named by the restore, never skipped.
 */
const APP_USER = 'mcp_backup_app';
const APP_PASSWORD = 'Backup-App-2026!';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `ok` until true; a timeout says what the stream last reported. */
async function waitForStream(stream: () => BinlogStreamer | undefined, what: string, ok: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; status ${JSON.stringify(stream()?.status())}`);
    await sleep(100);
  }
}
const utcSecond = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000);

interface Bench {
  rs: ReplicaSet;
  tp: TestPlatform;
  ctx: BackupOpsContext;
  dbName: string;
  admin: string;
  p: MariadbServer;
  r: MariadbServer;
  /** Inserts rows `ids` on the current primary: into `orders` (primary key) and `ledger` (none: a row applied twice shows). */
  write(ids: number[]): Promise<void>;
  /** Orders and ledger entries of a restored database. */
  restored(db: string): Promise<{ orders: number[]; ledger: number[] }>;
  switchover(to: MariadbServer): Promise<void>;
  /** The platform's database settings, for a CLI run against the same servers. */
  dbEnv: Record<string, string>;
  close(): Promise<void>;
}

async function bench(): Promise<Bench> {
  const rs = await startReplicaSet({ replicas: 1 });
  const [p, r] = rs.servers as [MariadbServer, MariadbServer];
  const dbName = uniqueName('mcp_bkha');
  // The platform's account may back up and restore, but not write past read_only (no SUPER, no
  // READ_ONLY ADMIN): a demoted primary refuses it, as in production. Created on the primary, replicated.
  await p.query(`CREATE USER ?@'%' IDENTIFIED BY ?`, [APP_USER, APP_PASSWORD]);
  await p.query(`GRANT ALL PRIVILEGES ON *.* TO ?@'%'`, [APP_USER]);
  await p.query(`REVOKE SUPER, READ_ONLY ADMIN ON *.* FROM ?@'%'`, [APP_USER]);
  const replicationUrl = rs.replicationUrl.replace(/^mysql:\/\/[^@]+@/, 'mysql://root@');
  const appUrl = (s: MariadbServer) => `mysql://${APP_USER}:${encodeURIComponent(APP_PASSWORD)}@127.0.0.1:${s.port}/${dbName}`;
  const tp = await startTestPlatform('real', {
    urls: { mysqlBase: p.rootUrl },
    env: {
      MCP_DB_URL: appUrl(p),
      MCP_DB_REPLICA_URLS: appUrl(r),
      MCP_DB_REPLICATION_URL: replicationUrl,
      MCP_DB_FOLLOW_INTERVAL_MS: '100',
      MCP_BACKUP_KEY: 'backup-follows-primary-0123456789-abcdef',
    },
  });
  const admin = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
  const ctx = createBackupContext(tp.platform);
  await p.query(`CREATE TABLE \`${dbName}\`.orders (id INT PRIMARY KEY, note VARCHAR(40)) ENGINE=InnoDB`);
  await p.query(`CREATE TABLE \`${dbName}\`.ledger (id INT NOT NULL) ENGINE=InnoDB`);
  const b: Bench = {
    rs,
    tp,
    ctx,
    dbName,
    admin,
    p,
    r,
    async write(ids) {
      const on = await rs.whoIsPrimary();
      for (const id of ids) {
        await on!.query(`INSERT INTO \`${dbName}\`.orders VALUES (?, ?)`, [id, `row ${id}`]);
        await on!.query(`INSERT INTO \`${dbName}\`.ledger VALUES (?)`, [id]);
      }
    },
    async restored(db) {
      const on = (await rs.whoIsPrimary())!;
      const orders = (await on.query<{ id: number }>(`SELECT id FROM \`${db}\`.orders ORDER BY id`)).map((x) => x.id);
      const ledger = (await on.query<{ id: number }>(`SELECT id FROM \`${db}\`.ledger ORDER BY id`)).map((x) => x.id);
      return { orders, ledger };
    },
    dbEnv: { MCP_DB_URL: appUrl(p), MCP_DB_REPLICA_URLS: appUrl(r), MCP_DB_REPLICATION_URL: replicationUrl },
    async switchover(to) {
      await rs.waitInSync();
      const res = await tp.request({ method: 'POST', url: '/api/ops/db/switchover', token: admin, body: { to: rs.address(to), timeoutSeconds: 10 } });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      for (let i = 0; i < 100 && tp.platform.database.writeTarget?.() !== rs.address(to); i++) await sleep(50);
      expect(tp.platform.database.writeTarget?.()).toBe(rs.address(to));
    },
    async close() {
      await tp.close().catch(() => undefined);
      await rs.destroy();
    },
  };
  return b;
}

/** PURGE BINARY LOGS up to the active file (retried: the server keeps a file until its binlog checkpoint has moved on). */
async function purgeAllButCurrent(s: MariadbServer): Promise<void> {
  const [current] = await s.query<{ File: string }>('SHOW MASTER STATUS');
  for (let i = 0; i < 50; i++) {
    await s.query(`PURGE BINARY LOGS TO '${current!.File}'`);
    const logs = await s.query<{ Log_name: string }>('SHOW BINARY LOGS');
    if (logs[0]?.Log_name === current!.File) return;
    await sleep(100);
  }
  throw new Error(`${s.port}: binlogs before ${current!.File} were not purged`);
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('incremental backups and point-in-time restore across a switchover', () => {
  let b: Bench;
  let beforeSwitch: Date;
  let afterSwitch: Date;

  beforeAll(async () => {
    b = await bench();
  }, 90_000);
  afterAll(async () => {
    await b?.close();
  });

  it('an incremental backup after the switchover continues on the new primary from the file whose Gtid_list the archive reached', async () => {
    const { ctx, p, r } = b;
    await b.write([1, 2, 3]);
    const full = await backupDatabase(ctx, { type: 'full' });
    expect(full.server_id).toBe(p.serverId);
    await b.write([4, 5, 6]);
    // The replica keeps only binlogs from here on (as expire_logs_days would), so the restore must
    // join the two servers' files; the old primary's archive reaches past the replica's oldest file.
    await b.rs.waitInSync();
    await r.query('FLUSH BINARY LOGS');
    await purgeAllButCurrent(r);
    const first = await archiveBinlogs(ctx);
    expect(first.length).toBeGreaterThan(0);
    expect(first.every((row) => row.server_id === p.serverId)).toBe(true);
    // archived on the old primary: GTID positions recorded, the file's start and end
    for (const row of first) expect(archiveGtids(row)).toBeDefined();
    const reach = parseGtidPosition(manifestOf(first.at(-1)!).binlog!.gtidEnd);

    await b.write([7, 8]); // only in the old primary's active binlog (and, replicated, in the new one's)
    await sleep(1100);
    beforeSwitch = utcSecond(new Date());
    await sleep(1100);
    await b.switchover(r);
    await b.write([9, 10, 11]);
    await sleep(1100);
    afterSwitch = utcSecond(new Date());
    await sleep(1100);
    await b.write([12]);

    const second = await archiveBinlogs(ctx);
    expect(second.length).toBeGreaterThan(0);
    expect(second.every((row) => row.server_id === r.serverId)).toBe(true);
    // no gap: the first new-primary file starts at or before what was archived
    expect(covers(reach, archiveGtids(second[0]!)!.start)).toBe(true);
    // and the old primary's files are not archived again under the new one
    const all = await listBackups(ctx);
    expect(all.filter((row) => row.type === 'incremental' && row.server_id === p.serverId).length).toBe(first.length);
  });

  it('point-in-time restore to after the switchover: every row, none twice, from both servers’ binlogs', async () => {
    // the restorable window (backup list) reaches past the switchover too
    const window = restorableWindow(await listBackups(b.ctx));
    expect(window?.pointInTime).toBe(true);
    expect(new Date(`${window!.to.replace(' ', 'T')}Z`).getTime()).toBeGreaterThan(afterSwitch.getTime());
    const plan = await planPointInTime(b.ctx, afterSwitch);
    expect(new Set(plan.binlogs.map((row) => row.server_id))).toEqual(new Set([b.p.serverId, b.r.serverId]));
    expect(plan.gtid?.length).toBe(plan.binlogs.length);
    const report = await restoreBackup(b.ctx, { ref: 'latest', to: afterSwitch, targetDb: 'mcp_restore_after' });
    expect(new Date(report.restoredTo).getTime()).toBeLessThanOrEqual(afterSwitch.getTime());
    expect(await b.restored('mcp_restore_after')).toEqual({ orders: range(1, 11), ledger: range(1, 11) });
    // replayed as the new primary's own transactions: its replica (the old primary) applies them too
    await b.rs.waitInSync({ timeoutMs: 10_000 });
    expect((await b.p.query<{ n: number }>('SELECT COUNT(*) AS n FROM mcp_restore_after.ledger'))[0]!.n).toBe(11);
  });

  it('point-in-time restore to before the switchover takes rows the old primary never had archived from the new primary’s binlogs', async () => {
    await restoreBackup(b.ctx, { ref: 'latest', to: beforeSwitch, targetDb: 'mcp_restore_before' });
    expect(await b.restored('mcp_restore_before')).toEqual({ orders: range(1, 8), ledger: range(1, 8) });
  });

  it('a GTID range archived nowhere (the new primary purged it) is named by the restore, not skipped', async () => {
    const { ctx, p } = b;
    await b.write([13, 14]); // never archived: the primary moves before the next incremental backup
    await b.switchover(p);
    // the new primary no longer has the binlogs holding 13 and 14
    await p.query('FLUSH BINARY LOGS');
    await purgeAllButCurrent(p);
    await b.write([15]);
    await sleep(1100);
    const later = utcSecond(new Date());
    await sleep(1100);
    await b.write([16]);
    const third = await archiveBinlogs(ctx);
    expect(third.length).toBeGreaterThan(0);
    expect(third.every((row) => row.server_id === p.serverId)).toBe(true);
    const err = await restoreBackup(ctx, { ref: 'latest', to: later, targetDb: 'mcp_restore_gap' }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/binlog chain broken: GTIDs 0-\*-\d+\.\.0-\d+-\d+ are in no archived binlog/);
    // a partial restore was not left behind as if it were complete
    expect((await p.query<{ n: number }>("SELECT COUNT(*) AS n FROM information_schema.schemata WHERE schema_name = 'mcp_restore_gap'"))[0]!.n).toBe(0);
  });
});

describe('backup stream follows a switchover', () => {
  let b: Bench;
  let stream: BinlogStreamer | undefined;
  const spool = mkdtempSync(join(tmpdir(), 'mcp-follow-spool-'));

  beforeAll(async () => {
    b = await bench();
  }, 90_000);
  afterAll(async () => {
    await stream?.stop();
    await b?.close();
    rmSync(spool, { recursive: true, force: true });
  });

  const waitFor = (what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 20_000) => waitForStream(() => stream, what, ok, timeoutMs);

  it('the stream switches to the new primary, notes it, and point-in-time restore reaches past the switchover', async () => {
    const { ctx, p, r } = b;
    await b.write([1, 2, 3]);
    await backupDatabase(ctx, { type: 'full' });
    stream = await startBinlogStream(ctx, { spoolDir: join(spool, 's'), pollMs: 200, restartDelayMs: 200 });
    await b.write([4, 5, 6]);
    await waitFor('the stream on the primary', () => stream!.status().running && stream!.status().caughtUp && stream!.status().sourceServerId === p.serverId);
    expect(stream.status().source).toBe(b.rs.address(p));

    await b.switchover(r);
    await waitFor('the stream on the new primary', () => stream!.status().running && stream!.status().sourceServerId === r.serverId);
    const s = stream.status();
    expect(s.source).toBe(b.rs.address(r));
    expect(s.switches).toHaveLength(1);
    expect(s.switches[0]).toContain(`(server ${p.serverId}) → ${b.rs.address(r)} (server ${r.serverId})`);
    expect(s.gaps).toEqual([]);

    await b.write([7, 8, 9]);
    await sleep(1100);
    const after = utcSecond(new Date());
    await sleep(1100);
    await b.write([10]);
    await r.query('FLUSH BINARY LOGS'); // the file holding 7..10 is complete: the stream archives it
    await waitFor('the new primary’s binlog archived past the target', async () =>
      (await listBackups(ctx, 'binlog')).some((row) => row.status === 'complete' && row.server_id === r.serverId && row.last_event_at && fromDbTime(row.last_event_at) >= after),
    );
    // the old primary's file was archived when the stream left it
    expect((await listBackups(ctx, 'binlog')).some((row) => row.status === 'complete' && row.server_id === p.serverId)).toBe(true);

    await restoreBackup(ctx, { ref: 'latest', to: after, targetDb: 'mcp_restore_stream' });
    expect(await b.restored('mcp_restore_stream')).toEqual({ orders: range(1, 9), ledger: range(1, 9) });
    expect(stream.status().gaps).toEqual([]);
  });

  it('and back (a drill): the old primary’s file, archived in part when the stream left it, is archived whole as well; the restore has every row once', async () => {
    const { ctx, p, r } = b;
    await b.switchover(p);
    await waitFor('the stream back on the first primary', () => stream!.status().running && stream!.status().sourceServerId === p.serverId);
    expect(stream!.status().switches).toHaveLength(2);
    await b.write([11, 12, 13]);
    await sleep(1100);
    const after = utcSecond(new Date());
    await sleep(1100);
    await b.write([14]);
    await p.query('FLUSH BINARY LOGS');
    await waitFor('the first primary’s binlog archived past the target', async () =>
      (await listBackups(ctx, 'binlog')).some((row) => row.status === 'complete' && row.server_id === p.serverId && row.last_event_at && fromDbTime(row.last_event_at) >= after),
    );
    const rows = (await listBackups(ctx, 'binlog')).filter((row) => row.status === 'complete' && row.server_id === p.serverId);
    const partial = rows.find((row) => /-to-\d+$/.test(row.id));
    expect(partial, rows.map((row) => row.id).join(', ')).toBeDefined();
    expect(rows.some((row) => row.id === partial!.id.replace(/-to-\d+$/, ''))).toBe(true);
    await restoreBackup(ctx, { ref: 'latest', to: after, targetDb: 'mcp_restore_back' });
    expect(await b.restored('mcp_restore_back')).toEqual({ orders: range(1, 13), ledger: range(1, 13) });
    expect(stream!.status().gaps).toEqual([]);
    expect(r.serverId).not.toBe(p.serverId);
  });
});

describe('backup stream follows a failover (kill -9 of the primary)', () => {
  let b: Bench;
  let stream: BinlogStreamer | undefined;
  const spool = mkdtempSync(join(tmpdir(), 'mcp-failover-spool-'));

  beforeAll(async () => {
    b = await bench();
  }, 90_000);
  afterAll(async () => {
    await stream?.stop();
    await b?.close();
    rmSync(spool, { recursive: true, force: true });
  });

  const waitFor = (what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 30_000) => waitForStream(() => stream, what, ok, timeoutMs);

  it('after the primary dies and a replica is promoted, the stream goes on from it and the restore has every row once', async () => {
    const { ctx, p, r, rs } = b;
    await b.write([1, 2, 3]);
    await backupDatabase(ctx, { type: 'full' });
    stream = await startBinlogStream(ctx, { spoolDir: join(spool, 's'), pollMs: 200, restartDelayMs: 200 });
    await b.write([4, 5, 6]);
    await waitFor('the stream caught up on the primary', () => stream!.status().caughtUp && stream!.status().sourceServerId === p.serverId);
    await rs.waitInSync();

    await rs.kill9(p);
    const dataDir = mkdtempSync(join(tmpdir(), 'mcp-fo-cli-'));
    const env = { MCP_ENV: 'test', MCP_DATA_DIR: dataDir, MCP_LOG_DIR: join(dataDir, 'logs'), ...b.dbEnv };
    const res = await runCli(['db', 'failover', '--to', rs.address(r), '--confirm', '--json'], env);
    rmSync(dataDir, { recursive: true, force: true });
    expect(res.code, res.stderr + res.stdout).toBe(0);
    await waitFor('the stream on the promoted replica', () => stream!.status().running && stream!.status().sourceServerId === r.serverId);
    expect(stream.status().switches).toHaveLength(1);

    await b.write([7, 8, 9]);
    await sleep(1100);
    const after = utcSecond(new Date());
    await sleep(1100);
    await b.write([10]);
    await r.query('FLUSH BINARY LOGS');
    await waitFor('the promoted replica’s binlog archived past the target', async () =>
      (await listBackups(ctx, 'binlog')).some((row) => row.status === 'complete' && row.server_id === r.serverId && row.last_event_at && fromDbTime(row.last_event_at) >= after),
    );
    await restoreBackup(ctx, { ref: 'latest', to: after, targetDb: 'mcp_restore_failover' });
    expect(await b.restored('mcp_restore_failover')).toEqual({ orders: range(1, 9), ledger: range(1, 9) });
    expect(stream.status().gaps).toEqual([]);
  });
});
