import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openArchive } from '../../src/ops/backup/archiveReader.js';
import { binlogBackupId } from '../../src/ops/backup/binlogArchive.js';
import { startBinlogStream, type BinlogStreamer, type StreamStatus } from '../../src/ops/backup/binlogStream.js';
import { registerBinlogStreamMetrics } from '../../src/ops/backup/metrics.js';
import { getBackup, listBackups, manifestOf, type BackupRow } from '../../src/ops/backup/catalog.js';
import { createBackupContext } from '../../src/app/backupContext.js';
import type { BackupOpsContext } from '../../src/ops/backup/context.js';
import { startMariadb, type MariadbServer } from '../support/mariadbServer.js';
import { startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

/** A TCP proxy whose open connections can be frozen: no data, no close — a half-open network path. */
async function startFreezableProxy(port: number): Promise<{ port: number; freeze(): void; close(): void }> {
  const pairs = new Set<[net.Socket, net.Socket]>();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    for (const [a, b] of [pair, [upstream, client]] as const) {
      a.on('error', () => b.destroy());
      a.on('close', () => (b.destroy(), pairs.delete(pair)));
      a.pipe(b);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    freeze() {
      for (const [a, b] of pairs) {
        a.unpipe(b);
        b.unpipe(a);
        a.pause();
        b.pause();
      }
    },
    close() {
      server.close();
      for (const [a, b] of pairs) a.destroy(), b.destroy();
    },
  };
}

/**
 * `backup stream` against its own MariaDB (binlog + GTID): rows reach the spool within seconds,
 * rotation archives the finished file (byte-identical to the server's), the supervisor survives a
 * killed tool and a server restart without losing an event, stop() leaves the active file spooled,
 * and binlogs purged while the stream was down are reported as a gap.
 */
describe('backup stream: real-time binlog streaming on MariaDB', () => {
  let db: MariadbServer;
  let tp: TestPlatform;
  let ctx: BackupOpsContext;
  let spool: string;
  let stream: BinlogStreamer | undefined;
  let nextId = 0;
  const scratch = mkdtempSync(join(tmpdir(), 'mcp-stream-test-'));
  const run = promisify(execFile);

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  async function waitFor(what: string, ok: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await ok())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; status ${JSON.stringify(stream?.status())}`);
      await sleep(50);
    }
  }
  const insert = (n = 1) =>
    (async () => {
      for (let i = 0; i < n; i++) await db.query('INSERT INTO mcp_platform.stream_rows (id, note) VALUES (?, ?)', [++nextId, `row ${nextId}`]);
    })();
  const masterStatus = async () => (await db.query<{ File: string; Position: number }>('SHOW MASTER STATUS'))[0]!;
  const start = () => startBinlogStream(ctx, { spoolDir: spool, pollMs: 200, restartDelayMs: 200 });
  /** The spool has everything the server has written so far. */
  const caughtUpWith = async (m: { File: string; Position: number }) => {
    const s = stream!.status();
    return s.running && s.caughtUp && s.currentFile === m.File && s.spooledBytes! >= Number(m.Position);
  };

  async function archivedBytes(row: BackupRow): Promise<Buffer> {
    const opened = await openArchive(ctx, row, manifestOf(row));
    const chunks: Buffer[] = [];
    await pipeline(opened.stored, ...opened.stages(), new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(c), cb()) }));
    opened.checkDigest();
    return Buffer.concat(chunks);
  }
  /** Row inserts into stream_rows found in a raw binlog, decoded by mariadb-binlog itself. */
  async function insertsIn(raw: Buffer): Promise<number> {
    const file = join(scratch, `decode-${Date.now()}-${Math.random()}`);
    writeFileSync(file, raw);
    const { stdout } = await run('mariadb-binlog', ['--no-defaults', '-v', '--base64-output=decode-rows', file], { maxBuffer: 64 * 1024 * 1024 });
    rmSync(file);
    return stdout.match(/^### INSERT INTO `mcp_platform`\.`stream_rows`/gm)?.length ?? 0;
  }
  const streamArchives = async () =>
    (await listBackups(ctx, 'binlog')).filter((r) => r.status === 'complete' && r.server_id === db.serverId).sort((a, b) => a.binlog_file!.localeCompare(b.binlog_file!));

  beforeAll(async () => {
    db = await startMariadb();
    tp = await startTestPlatform('embedded', { env: { MCP_DB_URL: db.url('mcp_platform'), MCP_BACKUP_KEY: 'stream-backup-secret-0123456789-abcdefgh' } });
    ctx = createBackupContext(tp.platform);
    await db.query('CREATE TABLE mcp_platform.stream_rows (id INT PRIMARY KEY, note VARCHAR(50)) ENGINE=InnoDB');
    spool = join(scratch, 'spool');
  }, 60_000);
  afterAll(async () => {
    await stream?.stop();
    await tp?.close();
    await db?.destroy();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('streams rows into the spool within seconds; live RPO stays ≤ 5 s under a steady write load', async () => {
    stream = await start();
    await waitFor('the stream to catch up', async () => caughtUpWith(await masterStatus()), 10_000);
    const s0 = stream.status();
    // credentials through the option file only; the tool is a never-stopping raw dump with its own replica id
    const argv = readFileSync(`/proc/${s0.pid}/cmdline`, 'utf8').split('\0');
    expect(argv[1]).toMatch(/^--defaults-extra-file=/);
    expect(argv).toEqual(
      expect.arrayContaining(['--read-from-remote-server', '--raw', '--stop-never', `--stop-never-slave-server-id=${s0.serverIdForStream}`, `--result-file=${spool}/`]),
    );
    expect(argv.filter((a) => /^(-p|--password)/.test(a))).toEqual([]);

    const rpos: number[] = [];
    const lags: number[] = [];
    const t0 = Date.now();
    while (Date.now() - t0 < 5000) {
      await insert();
      const written = await masterStatus();
      const t = Date.now();
      await waitFor('the row in the spool', () => caughtUpWith(written), 3000);
      lags.push(Date.now() - t);
      await sleep(250);
      rpos.push(stream.status().rpoSeconds!);
    }
    const s = stream.status();
    console.info(
      `backup stream: ${rpos.length} inserts; spool lag after commit max ${Math.max(...lags)} ms; rpoSeconds max ${Math.max(...rpos)} mean ${(rpos.reduce((a, b) => a + b, 0) / rpos.length).toFixed(2)}`,
    );
    expect(Math.max(...rpos)).toBeLessThanOrEqual(5);
    expect(Date.now() - new Date(s.lastEventAt!).getTime()).toBeLessThan(5000);
    // the rows are really in the spooled file
    expect(await insertsIn(readFileSync(join(spool, s.currentFile!)))).toBe(nextId);
    // the gauges read the live status: caught up, so nothing committed is missing from the spool
    const registry = new Registry();
    registerBinlogStreamMetrics(registry, stream);
    const text = await registry.metrics();
    expect(text).toMatch(/^mcp_backup_stream_rpo_seconds 0$/m);
    expect(text).toMatch(/^mcp_backup_stream_up 1$/m);
    expect(text).toMatch(/^mcp_backup_stream_last_event_timestamp_seconds \d{10}$/m);
  }, 30_000);

  it('FLUSH BINARY LOGS: the finished file is archived (type binlog, byte-identical to the server’s) and leaves the spool', async () => {
    const finished = stream!.status().currentFile!;
    await db.query('FLUSH BINARY LOGS');
    await waitFor('the rotated file to be archived', () => stream!.status().archived.includes(finished), 10_000);
    const row = await getBackup(ctx, binlogBackupId(db.serverId, finished));
    expect(row).toMatchObject({
      type: 'binlog',
      status: 'complete',
      locations: 'local',
      binlog_file: finished,
      server_id: db.serverId,
      data_key: `binlog/${db.serverId}/${finished}/data.zst.enc`,
    });
    expect(row.last_event_at).not.toBeNull();
    expect(readdirSync(spool)).not.toContain(finished);
    expect((await archivedBytes(row)).equals(readFileSync(join(db.datadir, finished)))).toBe(true);
  }, 20_000);

  it('a killed mariadb-binlog is restarted by the supervisor and resumes without losing events', async () => {
    const before = stream!.status();
    process.kill(before.pid!, 'SIGKILL');
    await insert(5); // written while nothing streams
    const written = await masterStatus();
    await waitFor(
      'a restarted tool that caught up',
      async () => {
        const s = stream!.status();
        return s.restarts > before.restarts && s.pid !== before.pid && (await caughtUpWith(written));
      },
      15_000,
    );
    expect(stream!.status().lastError).toMatch(/SIGKILL/);
  }, 20_000);

  it('a server restart: the stream reconnects, and every archived file equals the server’s, with every row', async () => {
    const before = stream!.status();
    await db.stop();
    await waitFor('the tool to notice', () => !stream!.status().running, 10_000);
    await sleep(500);
    await db.start();
    await insert(3);
    const written = await masterStatus();
    await waitFor('the stream to recover', async () => stream!.status().restarts > before.restarts && (await caughtUpWith(written)), 30_000);

    // the file closed by the shutdown was archived; the archive chain is contiguous and exact
    await db.query('FLUSH BINARY LOGS');
    const active = (await masterStatus()).File;
    await waitFor(
      'every closed file archived',
      () =>
        readdirSync(spool)
          .filter((f) => /\.\d{6}$/.test(f))
          .join() === active,
      10_000,
    );
    const archives = await streamArchives();
    const seqs = archives.map((r) => Number(r.binlog_file!.slice(-6)));
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(seqs.at(-1)).toBe(Number(active.slice(-6)) - 1);
    let rows = 0;
    for (const r of archives) {
      const bytes = await archivedBytes(r);
      expect(bytes.equals(readFileSync(join(db.datadir, r.binlog_file!))), r.binlog_file!).toBe(true);
      rows += await insertsIn(bytes);
    }
    rows += await insertsIn(readFileSync(join(spool, active)));
    expect(rows).toBe(nextId);
    expect((await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM mcp_platform.stream_rows'))[0]!.n).toBe(nextId);
  }, 45_000);

  it('stop() ends the tool and archives nothing partial: the active file stays spooled', async () => {
    await insert(2);
    const written = await masterStatus();
    await waitFor('the rows in the spool', () => caughtUpWith(written), 5000);
    const s = stream!.status();
    await stream!.stop();
    expect(stream!.status().running).toBe(false);
    expect(existsSync(`/proc/${s.pid}`)).toBe(false);
    expect(readdirSync(spool)).toContain(s.currentFile);
    expect((await listBackups(ctx)).find((r) => r.binlog_file === s.currentFile)).toBeUndefined();
    expect(existsSync(join(spool, '.stream.lock'))).toBe(false);
  }, 15_000);

  it('binlogs purged while the stream was down are reported as a gap; streaming continues from the oldest file left', async () => {
    const spooled = readdirSync(spool).filter((f) => /\.\d{6}$/.test(f));
    expect(spooled).toHaveLength(1);
    const n = spooled[0]!;
    const name = (k: number) => `${n.slice(0, -6)}${String(Number(n.slice(-6)) + k).padStart(6, '0')}`;
    await insert(1); // into n, never streamed
    await db.query('FLUSH BINARY LOGS');
    await insert(1); // into n+1, purged below
    await db.query('FLUSH BINARY LOGS');
    await waitFor(
      'the purge',
      async () => {
        await db.query(`PURGE BINARY LOGS TO '${name(2)}'`);
        return (await db.query<{ Log_name: string }>('SHOW BINARY LOGS'))[0]!.Log_name === name(2);
      },
      10_000,
    );

    let seen: StreamStatus | undefined;
    stream = await startBinlogStream(ctx, { spoolDir: spool, pollMs: 200, restartDelayMs: 200, onStatus: (s) => (seen = s) });
    await insert(1);
    const written = await masterStatus();
    await waitFor('the stream to continue past the gap', async () => caughtUpWith(written), 15_000);
    const s = stream.status();
    expect(s.gaps).toHaveLength(1);
    expect(s.gaps[0]).toMatch(new RegExp(`^${n.replace('.', '\\.')} \\(from byte \\d+\\) and ${name(1).replace('.', '\\.')} missing$`));
    expect(seen?.gaps).toEqual(s.gaps);
    expect(s.currentFile).toBe(name(2));
    // what was spooled of n is archived (whole events only), so a restore can reach up to the gap
    const partial = await getBackup(ctx, binlogBackupId(db.serverId, n));
    expect(partial.status).toBe('complete');
    // n held the 2 rows inserted before stop(); the row inserted into n afterwards is lost with the gap
    expect(await insertsIn(await archivedBytes(partial))).toBe(2);
  }, 30_000);

  it('a connection that hangs without an error (half-open) is detected by the stall watchdog and replaced', async () => {
    await stream!.stop();
    const proxy = await startFreezableProxy(db.port);
    try {
      const u = new URL(ctx.dbUrl);
      u.port = String(proxy.port);
      stream = await startBinlogStream({ ...ctx, dbUrl: u.toString() }, { spoolDir: spool, pollMs: 200, restartDelayMs: 200, stallMs: 1500 });
      await waitFor('the stream to catch up', async () => caughtUpWith(await masterStatus()), 10_000);
      const before = stream.status();
      proxy.freeze();
      await insert(3);
      const written = await masterStatus();
      await waitFor('the watchdog to restart the tool', async () => stream!.status().restarts > before.restarts && (await caughtUpWith(written)), 15_000);
      expect(stream.status().lastError).toMatch(/no binlog received for \d+ s while the server is ahead/);
    } finally {
      await stream?.stop();
      proxy.close();
    }
  }, 25_000);
});
